/** "发起群聊": pick contacts (people you have chatted with, or by id), name the group, create it. */
import { toast } from '../../lib/app-wx.js';
import { errorText, mediaUrl } from '../../lib/format.js';
import type { ImSession } from '../../lib/session.js';
import type { ViewSink } from '../../lib/view.js';

export interface Contact {
  id: string;
  name: string;
  avatarUrl: string;
  checked: boolean;
}

export interface GroupCreateData {
  contacts: Contact[];
  name: string;
  selectedCount: number;
  baseUrl: string;
  busy: boolean;
}

export function initialGroupCreateData(): GroupCreateData {
  return { contacts: [], name: '', selectedCount: 0, baseUrl: '', busy: false };
}

export class GroupCreateLogic {
  constructor(
    private readonly view: ViewSink<GroupCreateData>,
    private readonly session: ImSession,
  ) {}

  /** Page `onLoad`: contacts are the peers of direct conversations. */
  load(): void {
    const me = this.session.user?.id ?? '';
    const contacts: Contact[] = [];
    for (const c of this.session.need().conversations()) {
      if (c.kind !== 'direct') continue;
      const [, a = '', b = ''] = c.conv.split(':');
      const id = a === me ? b : a;
      contacts.push({ id, name: c.peer?.nickname || this.session.nameOf(id), avatarUrl: mediaUrl(c.peer?.avatarUrl, this.session.baseUrl), checked: false });
    }
    this.view.setData({ contacts, baseUrl: this.session.baseUrl });
  }

  /** Tap on a contact. */
  toggle(id: string): void {
    const contacts = this.view.data.contacts.map((c) => (c.id === id ? { ...c, checked: !c.checked } : c));
    this.view.setData({ contacts, selectedCount: contacts.filter((c) => c.checked).length });
  }

  /** "按 ID 添加": adds someone not in the list yet (checked). */
  async addById(input: string): Promise<boolean> {
    const id = input.trim();
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id) || id === this.session.user?.id) {
      toast(this.session.wx, '请输入正确的用户 ID');
      return false;
    }
    if (this.view.data.contacts.some((c) => c.id === id)) {
      if (!this.view.data.contacts.find((c) => c.id === id)?.checked) this.toggle(id);
      return true;
    }
    await this.session.lookupUsers([id]);
    const u = this.session.userOf(id);
    const contacts = [...this.view.data.contacts, { id, name: u?.nickname || id, avatarUrl: mediaUrl(u?.avatarUrl, this.session.baseUrl), checked: true }];
    this.view.setData({ contacts, selectedCount: contacts.filter((c) => c.checked).length });
    return true;
  }

  setName(name: string): void {
    this.view.setData({ name });
  }

  /** "创建": `POST /api/groups {name, members}`, then opens the new group's chat. */
  async create(): Promise<string | undefined> {
    const members = this.view.data.contacts.filter((c) => c.checked).map((c) => c.id);
    if (!members.length) {
      toast(this.session.wx, '请至少选择一位成员');
      return undefined;
    }
    const me = this.session.user?.nickname ?? '';
    const name =
      this.view.data.name.trim() || [me, ...this.view.data.contacts.filter((c) => c.checked).map((c) => c.name)].filter(Boolean).slice(0, 3).join('、');
    this.view.setData({ busy: true });
    try {
      const group = await this.session.need().createGroup(name.slice(0, 64), members);
      this.session.wx.redirectTo({ url: `/pages/chat/chat?conv=${encodeURIComponent(`g:${group.id}`)}` });
      return group.id;
    } catch (err) {
      toast(this.session.wx, errorText(err, '创建失败'));
      return undefined;
    } finally {
      this.view.setData({ busy: false });
    }
  }
}
