/**
 * @jest-environment jsdom
 */
import './support/dom';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { KnowledgeView } from '../../app/nav_bar/knowledge/KnowledgeView';
import type { DraftDetail } from '../../app/nav_bar/knowledge/api';
import { AppEnvProvider } from '../../app/shared/AppRoot';
import type { ZafRequestOptions } from '../../app/zaf/client';
import { ZafRequestError } from '../../app/zaf/client';
import { createFakeZaf, type FakeZaf } from './support/fake-zaf';
import { appEnv, SERVICE } from './support/app-env';
import { renderWithTheme, t } from './support/dom';

const DRAFT: DraftDetail = {
  id: '6f1c2b1e-1111-4222-8333-444455556666',
  gapId: 'g1',
  kind: 'create',
  targetArticle: null,
  locale: 'en-us',
  title: 'How do I reset my password?',
  bodyHtml: '<p>Click Forgot password on the sign-in page.</p>',
  sectionId: 1,
  labels: ['password'],
  paragraphs: [{ html: '<p>Click Forgot password on the sign-in page.</p>', sourceTicketIds: [11, 12] }],
  sourceTicketIds: [11, 12],
  questions: ['how do I reset my password?'],
  state: 'pending',
  edited: false,
  approvedBy: null,
  approvedAt: null,
  rejectedBy: null,
  rejectedAt: null,
  rejectReason: null,
  publishedArticleId: null,
  publishedUrl: null,
  publishError: null,
};

/** The service's knowledge endpoints, in memory, behind the fake ZAF client's request(). */
function fakeService(client: FakeZaf, opts: { canApprove: boolean }) {
  let draft = { ...DRAFT };
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  client.respond((o: ZafRequestOptions) => {
    const path = o.url.replace(SERVICE, '');
    const body = o.data ? (JSON.parse(String(o.data)) as Record<string, unknown>) : undefined;
    calls.push({ method: String(o.type), path, body });
    const base = '/v1/app/knowledge';
    if (path === `${base}/me`) return { canApprove: opts.canApprove, isAdmin: false };
    if (path === `${base}/runs`)
      return {
        runs: [
          {
            id: 'r1',
            stage: 'done',
            exported: 120,
            startedAt: '2026-11-20T10:00:00Z',
            finishedAt: '2026-11-20T10:01:00Z',
            error: null,
          },
        ],
      };
    if (path === `${base}/gaps`)
      return {
        gaps: [
          {
            id: 'g1',
            label: 'reset · password',
            size: 34,
            coverage: 0.08,
            trend: 0.5,
            impact: { score: 255, handleMinutes: 5, reopenRate: 0, weekly: [1, 2] },
            topArticle: null,
            questions: ['how do I reset my password?'],
            version: 2,
            draft: { id: draft.id, state: draft.state },
          },
        ],
      };
    if (path === `${base}/drafts`)
      return {
        drafts: [
          {
            id: draft.id,
            gapId: 'g1',
            kind: 'create',
            targetArticle: null,
            title: draft.title,
            state: draft.state,
            sources: 2,
            createdAt: '2026-11-20T10:01:00Z',
            publishedArticleId: draft.publishedArticleId,
          },
        ],
      };
    if (path === `${base}/sections`)
      return {
        sections: [
          { id: 1, name: 'General' },
          { id: 4, name: 'Account' },
        ],
      };
    if (path === `${base}/drafts/${draft.id}`)
      return {
        draft,
        sources: [
          { ticketId: 11, question: 'how do I reset my password?' },
          { ticketId: 12, question: 'forgot my password' },
        ],
      };
    if (path === `${base}/drafts/${draft.id}/approve`) {
      if (!opts.canApprove)
        throw new ZafRequestError(403, 'Forbidden', {
          error: { code: 'not_approver', message: 'Only approvers' },
        });
      const e = body as { title: string; bodyHtml: string; sectionId: number; labels: string[] };
      draft = {
        ...draft,
        ...e,
        state: 'published',
        edited: true,
        publishedArticleId: 50001,
        publishedUrl: 'https://help.example.com/hc/en-us/articles/50001',
      };
      return { draft };
    }
    if (path === `${base}/drafts/${draft.id}/reject`) {
      draft = { ...draft, state: 'rejected', rejectReason: String(body?.reason) };
      return { draft };
    }
    throw new ZafRequestError(404, 'Not found', { error: { code: 'not_found', message: path } });
  });
  return { calls };
}

function render(client: FakeZaf) {
  const env = appEnv(client, { location: 'nav_bar', userId: 900 });
  return renderWithTheme(
    <AppEnvProvider env={env}>
      <KnowledgeView />
    </AppEnvProvider>,
  );
}

describe('nav_bar Knowledge view', () => {
  it('when it opens, then it shows the gaps with size, trend, impact and coverage, and the drafts to review', async () => {
    const client = createFakeZaf();
    fakeService(client, { canApprove: true });
    render(client);
    const gap = await screen.findByTestId('knowledge-gap');
    expect(within(gap).getByText('reset · password')).toBeTruthy();
    expect(gap.textContent).toContain('34');
    expect(gap.textContent).toContain('▲ 50 %');
    expect(gap.textContent).toContain('255');
    expect(gap.textContent).toContain('8 %');
    expect(within(screen.getByTestId('knowledge-drafts')).getByText(DRAFT.title)).toBeTruthy();
    expect(screen.getByTestId('knowledge-run').textContent).toContain(t('knowledge.run.stage.done'));
  });

  it('when an approver edits and approves, then the edits are sent and the draft shows as published without a reload', async () => {
    const user = userEvent.setup();
    const client = createFakeZaf();
    const { calls } = fakeService(client, { canApprove: true });
    render(client);
    await user.click(await screen.findByRole('button', { name: DRAFT.title }));
    const sources = await screen.findByTestId('draft-sources');
    expect(sources.textContent).toContain('#11');
    expect(sources.textContent).toContain('forgot my password');
    expect(sources.textContent).toContain(t('knowledge.editor.from_tickets', { ids: '#11, #12' }));

    const title = screen.getByTestId('draft-title') as HTMLInputElement;
    await user.clear(title);
    await user.type(title, 'Reset a forgotten password');
    const body = screen.getByTestId('draft-body') as HTMLTextAreaElement;
    await user.clear(body);
    await user.type(body, '<p>Choose Forgot password.</p>');
    await user.selectOptions(screen.getByTestId('draft-section'), '4');
    const labels = screen.getByTestId('draft-labels') as HTMLInputElement;
    await user.clear(labels);
    await user.type(labels, 'password, login');
    await user.click(screen.getByTestId('draft-approve'));

    await screen.findByTestId('draft-published');
    const approve = calls.find((c) => c.path.endsWith('/approve'))!;
    expect(approve.method).toBe('POST');
    expect(approve.body).toEqual({
      title: 'Reset a forgotten password',
      bodyHtml: '<p>Choose Forgot password.</p>',
      sectionId: 4,
      labels: ['password', 'login'],
    });
    expect(screen.getByTestId('draft-editor').querySelector('[data-state="published"]')).toBeTruthy();
    // Back to the list: the draft's state changed there too, with no new list request.
    const listCalls = calls.filter((c) => c.path.endsWith('/drafts')).length;
    await user.click(screen.getByRole('button', { name: t('knowledge.editor.back') }));
    const row = await screen.findByTestId('knowledge-draft');
    expect(row.querySelector('[data-state="published"]')).toBeTruthy();
    expect(calls.filter((c) => c.path.endsWith('/drafts')).length).toBe(listCalls);
  });

  it('when a draft is rejected, then a reason is required and shown afterwards', async () => {
    const user = userEvent.setup();
    const client = createFakeZaf();
    const { calls } = fakeService(client, { canApprove: true });
    render(client);
    await user.click(await screen.findByRole('button', { name: DRAFT.title }));
    const reject = (await screen.findByTestId('draft-reject')) as HTMLButtonElement;
    expect(reject.disabled).toBe(true);
    await user.type(screen.getByTestId('draft-reason'), 'Policy changes next month');
    await user.click(reject);
    await screen.findByTestId('draft-rejected');
    expect(screen.getByTestId('draft-rejected').textContent).toContain('Policy changes next month');
    expect(calls.find((c) => c.path.endsWith('/reject'))!.body).toEqual({
      reason: 'Policy changes next month',
    });
  });

  it('when the user may not approve, then the draft is read-only and has no approve button', async () => {
    const user = userEvent.setup();
    const client = createFakeZaf();
    fakeService(client, { canApprove: false });
    render(client);
    await user.click(await screen.findByRole('button', { name: DRAFT.title }));
    await screen.findByTestId('draft-editor');
    expect(screen.queryByTestId('draft-approve')).toBeNull();
    expect(screen.getByText(t('knowledge.editor.read_only'))).toBeTruthy();
    expect((screen.getByTestId('draft-title') as HTMLInputElement).readOnly).toBe(true);
    expect(screen.queryByTestId('knowledge-run-start')).toBeNull();
  });

  it('when the service fails, then the view says so and offers a retry', async () => {
    const client = createFakeZaf();
    client.respond(() => {
      throw new ZafRequestError(503, 'down', {
        error: { code: 'unavailable', message: 'Service unavailable' },
      });
    });
    render(client);
    await waitFor(() => expect(screen.getByText(t('knowledge.error'))).toBeTruthy());
    expect(screen.getByRole('button', { name: t('knowledge.retry') })).toBeTruthy();
  });
});
