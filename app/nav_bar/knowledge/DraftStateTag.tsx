import { Tag } from '@zendeskgarden/react-tags';
import type { MessageKey } from '../../i18n/i18n';
import { useI18n } from '../../i18n/I18nProvider';
import type { DraftState } from './api';

const LABELS: Record<DraftState, MessageKey> = {
  pending: 'knowledge.draft.state.pending',
  approved: 'knowledge.draft.state.approved',
  rejected: 'knowledge.draft.state.rejected',
  published: 'knowledge.draft.state.published',
};
const HUES: Record<DraftState, string> = {
  pending: 'yellow',
  approved: 'blue',
  rejected: 'grey',
  published: 'green',
};

export function DraftStateTag({ state }: { state: DraftState }) {
  const { t } = useI18n();
  return (
    <Tag hue={HUES[state]} size="small" data-testid="draft-state" data-state={state}>
      {t(LABELS[state])}
    </Tag>
  );
}
