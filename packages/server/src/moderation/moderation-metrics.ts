import { Counter, register as defaultRegistry, type Registry } from 'prom-client';

/** Counters of the moderation pipeline, registered once per registry. */
export interface ModerationMetrics {
  /** A stage could not give a verdict; labels: stage, policy (open|closed). */
  unavailable: Counter<'stage' | 'policy'>;
  /** Content refused; labels: stage. */
  rejected: Counter<'stage'>;
  /** Every verdict a stage gave; labels: stage, verdict (pass, review, risky, unavailable). */
  verdicts: Counter<'stage' | 'verdict'>;
}

/** Gets (or creates) the moderation counters in `registry` (default: prom-client's global one). */
export function moderationMetrics(registry: Registry = defaultRegistry): ModerationMetrics {
  return {
    unavailable: counter(registry, 'miniim_moderation_unavailable_total', 'Content checks that could not be made', ['stage', 'policy']),
    rejected: counter(registry, 'miniim_moderation_rejected_total', 'Content refused by a content check', ['stage']),
    verdicts: counter(registry, 'miniim_moderation_verdicts_total', 'Verdicts of content checks by stage (pass, review, risky, unavailable)', [
      'stage',
      'verdict',
    ]),
  };
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
