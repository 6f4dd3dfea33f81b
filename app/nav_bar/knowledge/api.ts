/**
 * The nav_bar Knowledge view's calls to the service (/v1/app/knowledge/*, signed like every app call).
 * Approve/reject are checked by the service against Zendesk's record of the user; `me.canApprove`
 * only decides which buttons to show.
 */
import type { ServiceApi } from '../../api';

export type DraftState = 'pending' | 'approved' | 'rejected' | 'published';

export interface GapSummary {
  id: string;
  label: string;
  size: number;
  coverage: number;
  trend: number;
  impact: { score: number; handleMinutes: number; reopenRate: number; weekly: number[] };
  topArticle: { id: number; title: string } | null;
  questions: string[];
  version: number;
  draft: { id: string; state: DraftState } | null;
}

export interface DraftSummary {
  id: string;
  gapId: string;
  kind: 'create' | 'update';
  targetArticle: { id: number; title: string } | null;
  title: string;
  state: DraftState;
  sources: number;
  createdAt: string;
  publishedArticleId: number | null;
}

export interface DraftDetail {
  id: string;
  gapId: string;
  kind: 'create' | 'update';
  targetArticle: { id: number; title: string } | null;
  locale: string;
  title: string;
  bodyHtml: string;
  sectionId: number | null;
  labels: string[];
  paragraphs: Array<{ html: string; sourceTicketIds: number[] }>;
  sourceTicketIds: number[];
  questions: string[];
  state: DraftState;
  edited: boolean;
  approvedBy: number | null;
  approvedAt: string | null;
  rejectedBy: number | null;
  rejectedAt: string | null;
  rejectReason: string | null;
  publishedArticleId: number | null;
  publishedUrl: string | null;
  publishError: string | null;
}

export interface DraftView {
  draft: DraftDetail;
  sources: Array<{ ticketId: number; question: string }>;
}

export interface RunSummary {
  id: string;
  stage: 'export' | 'analyze' | 'draft' | 'done' | 'failed';
  exported: number;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

export interface Section {
  id: number;
  name: string;
}

export interface DraftEdits {
  title: string;
  bodyHtml: string;
  sectionId: number | null;
  labels: string[];
}

const base = '/v1/app/knowledge';

export function knowledgeApi(api: ServiceApi) {
  return {
    me: () => api.call<{ canApprove: boolean; isAdmin: boolean }>('GET', `${base}/me`),
    gaps: async () => (await api.call<{ gaps: GapSummary[] }>('GET', `${base}/gaps`)).gaps,
    drafts: async () => (await api.call<{ drafts: DraftSummary[] }>('GET', `${base}/drafts`)).drafts,
    draft: (id: string) => api.call<DraftView>('GET', `${base}/drafts/${encodeURIComponent(id)}`),
    approve: async (id: string, edits: DraftEdits) =>
      (
        await api.call<{ draft: DraftDetail }>(
          'POST',
          `${base}/drafts/${encodeURIComponent(id)}/approve`,
          edits,
        )
      ).draft,
    reject: async (id: string, reason: string) =>
      (
        await api.call<{ draft: DraftDetail }>('POST', `${base}/drafts/${encodeURIComponent(id)}/reject`, {
          reason,
        })
      ).draft,
    runs: async () => (await api.call<{ runs: RunSummary[] }>('GET', `${base}/runs`)).runs,
    startRun: async () => (await api.call<{ run: RunSummary }>('POST', `${base}/runs`)).run,
    sections: async () => (await api.call<{ sections: Section[] }>('GET', `${base}/sections`)).sections,
  };
}

export type KnowledgeApi = ReturnType<typeof knowledgeApi>;
