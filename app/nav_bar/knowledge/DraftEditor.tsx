/**
 * One draft: the customers' questions and the paragraphs with their source tickets beside an editor for
 * title, section, body (HTML) and labels; approve (publishes with the edits) or reject with a reason.
 * The result replaces the draft in place: no reload.
 */
import { useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input, Select, Textarea } from '@zendeskgarden/react-forms';
import { SM, Span } from '@zendeskgarden/react-typography';
import { useI18n } from '../../i18n/I18nProvider';
import { ErrorState } from '../../shared/states';
import type { DraftDetail, DraftEdits, DraftView, Section } from './api';
import { DraftStateTag } from './DraftStateTag';

const Columns = styled.div`
  display: grid;
  grid-template-columns: minmax(220px, 1fr) minmax(320px, 2fr);
  gap: ${(p) => p.theme.space.md};
  @media (max-width: 720px) {
    grid-template-columns: 1fr;
  }
`;
const Sources = styled.aside`
  font-size: ${(p) => p.theme.fontSizes.sm};
  ol,
  ul {
    padding-inline-start: ${(p) => p.theme.space.md};
  }
  li {
    margin-bottom: ${(p) => p.theme.space.xxs};
  }
`;
const Stack = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${(p) => p.theme.space.sm};
`;
const Row = styled.div`
  display: flex;
  gap: ${(p) => p.theme.space.xs};
  align-items: center;
  flex-wrap: wrap;
`;

/** A paragraph's HTML as plain text for the sources column (the drafts' own <p> markup, escaped text). */
const plain = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

export interface DraftEditorProps {
  view: DraftView;
  sections: Section[];
  canApprove: boolean;
  onApprove: (edits: DraftEdits) => Promise<DraftDetail>;
  onReject: (reason: string) => Promise<DraftDetail>;
  onBack: () => void;
}

export function DraftEditor({ view, sections, canApprove, onApprove, onReject, onBack }: DraftEditorProps) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(view.draft);
  const [title, setTitle] = useState(view.draft.title);
  const [body, setBody] = useState(view.draft.bodyHtml);
  const [sectionId, setSectionId] = useState<number | null>(view.draft.sectionId);
  const [labels, setLabels] = useState(view.draft.labels.join(', '));
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const editable = draft.state === 'pending' && canApprove;
  const sectionChoices =
    sections.some((s) => s.id === sectionId) || sectionId === null
      ? sections
      : [...sections, { id: sectionId, name: `#${sectionId}` }];

  const act = async (kind: 'approve' | 'reject') => {
    setBusy(kind);
    setError(null);
    try {
      const next =
        kind === 'approve'
          ? await onApprove({
              title,
              bodyHtml: body,
              sectionId,
              labels: labels
                .split(',')
                .map((l) => l.trim())
                .filter(Boolean),
            })
          : await onReject(reason);
      setDraft(next);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack data-testid="draft-editor">
      <Row>
        <Button size="small" isBasic onClick={onBack}>
          {t('knowledge.editor.back')}
        </Button>
        <DraftStateTag state={draft.state} />
        {draft.kind === 'update' && draft.targetArticle ? (
          <SM>{t('knowledge.draft.kind.update', { title: draft.targetArticle.title })}</SM>
        ) : (
          <SM>{t('knowledge.draft.kind.create')}</SM>
        )}
      </Row>
      {draft.state === 'published' ? (
        <ErrorState
          type="info"
          title={t('knowledge.editor.published', { id: draft.publishedArticleId ?? '' })}
          testId="draft-published"
        >
          {draft.publishedUrl ? (
            <a href={draft.publishedUrl} target="_blank" rel="noreferrer">
              {draft.publishedUrl}
            </a>
          ) : null}
        </ErrorState>
      ) : null}
      {draft.state === 'rejected' ? (
        <ErrorState
          type="warning"
          title={t('knowledge.editor.rejected', { reason: draft.rejectReason ?? '' })}
          testId="draft-rejected"
        />
      ) : null}
      {draft.state === 'approved' && draft.publishError ? (
        <ErrorState title={t('knowledge.editor.failed')}>{draft.publishError}</ErrorState>
      ) : null}
      {error ? (
        <ErrorState title={t('knowledge.editor.failed')} testId="draft-error">
          {error}
        </ErrorState>
      ) : null}
      {!canApprove && draft.state === 'pending' ? <SM>{t('knowledge.editor.read_only')}</SM> : null}
      <Columns>
        <Sources aria-label={t('knowledge.editor.questions')} data-testid="draft-sources">
          <strong>{t('knowledge.editor.questions')}</strong>
          <ul>
            {view.sources.map((s) => (
              <li key={s.ticketId}>
                <Span isBold>#{s.ticketId}</Span> {s.question}
              </li>
            ))}
          </ul>
          <strong>{t('knowledge.editor.paragraphs')}</strong>
          <ol>
            {draft.paragraphs.map((p, i) => (
              <li key={i}>
                <span>{plain(p.html)}</span>
                <SM>
                  {t('knowledge.editor.from_tickets', {
                    ids: p.sourceTicketIds.map((id) => `#${id}`).join(', '),
                  })}
                </SM>
              </li>
            ))}
          </ol>
        </Sources>
        <Stack>
          <Field>
            <Field.Label>{t('knowledge.editor.title')}</Field.Label>
            <Input
              value={title}
              readOnly={!editable}
              onChange={(e) => setTitle(e.target.value)}
              data-testid="draft-title"
            />
          </Field>
          <Field>
            <Field.Label>{t('knowledge.editor.section')}</Field.Label>
            <Select
              value={sectionId === null ? '' : String(sectionId)}
              disabled={!editable || draft.kind === 'update'}
              onChange={(e) => setSectionId(e.target.value ? Number(e.target.value) : null)}
              data-testid="draft-section"
            >
              <option value="">{t('knowledge.editor.section.none')}</option>
              {sectionChoices.map((s) => (
                <option key={s.id} value={String(s.id)}>
                  {s.name}
                </option>
              ))}
            </Select>
          </Field>
          <Field>
            <Field.Label>{t('knowledge.editor.body')}</Field.Label>
            <Textarea
              value={body}
              readOnly={!editable}
              minRows={10}
              maxRows={24}
              onChange={(e) => setBody(e.target.value)}
              data-testid="draft-body"
            />
          </Field>
          <Field>
            <Field.Label>{t('knowledge.editor.labels')}</Field.Label>
            <Field.Hint>{t('knowledge.editor.labels_hint')}</Field.Hint>
            <Input
              value={labels}
              readOnly={!editable}
              onChange={(e) => setLabels(e.target.value)}
              data-testid="draft-labels"
            />
          </Field>
          {draft.state === 'approved' && canApprove ? (
            // Approved but not published (the Help Center failed): publishing again is safe, it never duplicates.
            <Row>
              <Button
                isPrimary
                disabled={busy !== null}
                onClick={() => void act('approve')}
                data-testid="draft-publish"
              >
                {t('knowledge.editor.approve')}
              </Button>
            </Row>
          ) : null}
          {editable ? (
            <>
              <Row>
                <Button
                  isPrimary
                  disabled={busy !== null}
                  onClick={() => void act('approve')}
                  data-testid="draft-approve"
                >
                  {t('knowledge.editor.approve')}
                </Button>
              </Row>
              <Field>
                <Field.Label>{t('knowledge.editor.reason')}</Field.Label>
                <Textarea
                  value={reason}
                  minRows={2}
                  onChange={(e) => setReason(e.target.value)}
                  data-testid="draft-reason"
                />
              </Field>
              <Row>
                <Button
                  isDanger
                  disabled={busy !== null || reason.trim().length < 3}
                  onClick={() => void act('reject')}
                  data-testid="draft-reject"
                >
                  {t('knowledge.editor.reject')}
                </Button>
              </Row>
            </>
          ) : null}
        </Stack>
      </Columns>
    </Stack>
  );
}
