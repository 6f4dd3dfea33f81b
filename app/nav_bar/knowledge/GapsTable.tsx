/** Gaps, highest impact first: what customers keep asking that no article answers. */
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Tag } from '@zendeskgarden/react-tags';
import { SM } from '@zendeskgarden/react-typography';
import { useI18n } from '../../i18n/I18nProvider';
import type { GapSummary } from './api';
import { DraftStateTag } from './DraftStateTag';

const Table = styled.table`
  width: 100%;
  border-collapse: collapse;
  font-size: ${(p) => p.theme.fontSizes.sm};
  th,
  td {
    text-align: start;
    padding: ${(p) => p.theme.space.xs};
    border-bottom: ${(p) => p.theme.borders.sm}
      ${(p) => getColor({ theme: p.theme, variable: 'border.default' })};
    vertical-align: top;
  }
  th {
    font-weight: ${(p) => p.theme.fontWeights.semibold};
  }
  td.num {
    font-variant-numeric: tabular-nums;
  }
`;

const pct = (x: number) => `${Math.round(x * 100)} %`;

export function GapsTable({ gaps, onOpenDraft }: { gaps: GapSummary[]; onOpenDraft: (id: string) => void }) {
  const { t } = useI18n();
  if (gaps.length === 0) return <SM data-testid="knowledge-gaps-empty">{t('knowledge.gaps.empty')}</SM>;
  return (
    <Table data-testid="knowledge-gaps">
      <thead>
        <tr>
          <th scope="col">{t('knowledge.gaps.col.gap')}</th>
          <th scope="col">{t('knowledge.gaps.col.tickets')}</th>
          <th scope="col">{t('knowledge.gaps.col.trend')}</th>
          <th scope="col">{t('knowledge.gaps.col.impact')}</th>
          <th scope="col">{t('knowledge.gaps.col.coverage')}</th>
          <th scope="col">{t('knowledge.gaps.col.draft')}</th>
        </tr>
      </thead>
      <tbody>
        {gaps.map((g) => (
          <tr key={g.id} data-testid="knowledge-gap">
            <td>
              <strong>{g.label}</strong>
              {g.questions[0] ? <SM>“{g.questions[0]}”</SM> : null}
            </td>
            <td className="num">{g.size}</td>
            <td className="num">
              <Tag hue={g.trend > 0.1 ? 'red' : g.trend < -0.1 ? 'green' : 'grey'} size="small">
                {g.trend > 0 ? '▲' : g.trend < 0 ? '▼' : '•'} {pct(Math.abs(g.trend))}
              </Tag>
            </td>
            <td className="num">{g.impact.score}</td>
            <td className="num" title={g.topArticle?.title ?? ''}>
              {pct(g.coverage)}
            </td>
            <td>
              {g.draft ? (
                <Button isLink onClick={() => onOpenDraft(g.draft!.id)} aria-label={g.label}>
                  <DraftStateTag state={g.draft.state} />
                </Button>
              ) : (
                <SM>{t('knowledge.gaps.no_draft')}</SM>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
