import { describe, expect, it } from 'vitest';
import { messagePreview, previewText, recalledText, systemText } from '../src/index.js';

const msg = (kind: string, body: unknown, from = 'bob', recalled?: { by: string }) => ({ kind, body, from, recalled });

describe('message previews (zh-CN)', () => {
  it('shows text as is and media as words, never a URL', () => {
    expect(messagePreview('text', { text: '你好' })).toBe('你好');
    expect(messagePreview('image', { url: '/media/x' })).toBe('[图片]');
    expect(messagePreview('video', { url: '/media/x' })).toBe('[视频]');
    expect(messagePreview('audio', { url: '/media/x' })).toBe('[语音]');
    expect(messagePreview('file', { url: '/media/x', name: '报告.pdf' })).toBe('[文件] 报告.pdf');
    expect(messagePreview('file', { url: '/media/x' })).toBe('[文件]');
    expect(messagePreview('custom', { type: 'card' })).toBe('[自定义消息]');
    expect(messagePreview('unknown-kind', null)).toBe('[消息]');
  });

  it('names group events with the names it is given', () => {
    const names = (id: string) => ({ alice: '爱丽丝', bob: '鲍勃' })[id] ?? id;
    expect(systemText({ event: 'member_joined', userIds: ['alice', 'bob'], by: 'alice' }, names)).toBe('爱丽丝、鲍勃 加入了群聊');
    expect(systemText({ event: 'member_left', userIds: ['bob'], by: 'bob' }, names)).toBe('鲍勃 离开了群聊');
    expect(systemText({ event: 'member_left', userIds: ['bob'], by: 'alice' }, names)).toBe('鲍勃 被移出了群聊');
    expect(systemText({ event: 'group_renamed', name: '周末', by: 'alice' })).toBe('群名称已改为「周末」');
    expect(systemText({ event: 'owner_changed', owner: 'bob', by: 'alice' }, names)).toBe('鲍勃 成为群主');
    expect(systemText({ event: 'group_muted', muted: true })).toBe('已开启全员禁言');
    expect(systemText({ event: 'member_muted', userId: 'bob', mutedUntil: 0 }, names)).toBe('鲍勃 已被解除禁言');
    expect(systemText({ event: 'content_removed', seq: 3 })).toBe('一条消息因违反规定已被删除');
    expect(systemText({ event: 'something_new' })).toBe('[系统消息]');
  });

  it('never shows a recalled body, and says who recalled it', () => {
    expect(previewText(msg('text', { text: '秘密' }, 'bob', { by: 'bob' }), 'alice')).toBe('对方撤回了一条消息');
    expect(previewText(msg('text', { text: '秘密' }, 'bob', { by: 'bob' }), 'alice', '鲍勃')).toBe('鲍勃撤回了一条消息');
    expect(previewText(msg('text', { text: '秘密' }, 'alice', { by: 'alice' }), 'alice')).toBe('你撤回了一条消息');
    expect(previewText(msg('text', { text: '秘密' }, 'bob', { by: 'carol' }), 'alice', '鲍勃')).toBe('管理员撤回了一条消息');
    expect(previewText(msg('text', { text: '秘密' }, 'bob', { by: 'system' }), 'alice')).toBe('一条消息已被系统删除');
    expect(recalledText('bob', 'alice', '鲍勃')).toBe('鲍勃撤回了一条消息');
  });

  it('prefixes the sender in groups, but not for my own messages or system notices', () => {
    expect(previewText(msg('image', { url: 'u' }), 'alice', '鲍勃')).toBe('鲍勃: [图片]');
    expect(previewText(msg('text', { text: '好' }, 'alice'), 'alice', '爱丽丝')).toBe('好');
    expect(previewText(msg('system', { event: 'group_created' }, 'system'), 'alice', '系统')).toBe('群聊已创建');
    expect(previewText(undefined, 'alice')).toBe('');
  });
});
