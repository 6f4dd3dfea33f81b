/**
 * support.nav_bar: one full-page app with one tab per view. A view is a component with no props that
 * fetches its own data through `useAppEnv().api`; only the selected view is mounted, so a view that
 * is not shown costs no request.
 *
 * Adding a view is one line in `VIEWS`, plus its tab label (key nav.tab.<id>) in app/i18n/locales/*.json:
 *
 *   { id: 'knowledge', labelKey: <nav.tab.knowledge, quoted>, component: KnowledgeView },
 *
 * The first view is selected on load; the agent's last choice is remembered in this browser.
 */
import { useState, type ComponentType } from 'react';
import styled from 'styled-components';
import { Tabs } from '@zendeskgarden/react-tabs';
import type { MessageKey } from '../i18n/i18n';
import { useI18n } from '../i18n/I18nProvider';
import { ResolutionsView } from './resolutions/ResolutionsView';
import { KnowledgeView } from './knowledge/KnowledgeView';
import { AccountView } from './account/AccountView';

export interface NavView {
  /** Stable id: tab value, test id (`nav-tab-<id>`), remembered selection. */
  id: string;
  labelKey: MessageKey;
  component: ComponentType;
}

export const VIEWS: readonly NavView[] = [
  { id: 'resolutions', labelKey: 'nav.tab.resolutions', component: ResolutionsView },
  { id: 'knowledge', labelKey: 'nav.tab.knowledge', component: KnowledgeView },
  { id: 'account', labelKey: 'nav.tab.account', component: AccountView },
];

const STORAGE_KEY = 'concierge.nav_bar.view';

function rememberedView(views: readonly NavView[]): string {
  let saved: string | null = null;
  try {
    saved = window.localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage can be blocked in a third-party iframe; the first view is fine then.
  }
  return views.some((v) => v.id === saved) ? saved! : (views[0]?.id ?? '');
}

const Root = styled.div`
  padding: ${(p) => p.theme.space.sm} ${(p) => p.theme.space.md};
  max-width: 1200px;
  @media (max-width: 480px) {
    padding: ${(p) => p.theme.space.xs};
  }
`;

export function NavBar({ views = VIEWS }: { views?: readonly NavView[] }) {
  const { t } = useI18n();
  const [selected, setSelected] = useState(() => rememberedView(views));
  const select = (id: string) => {
    setSelected(id);
    try {
      window.localStorage.setItem(STORAGE_KEY, id);
    } catch {
      // see rememberedView
    }
  };
  return (
    <Root>
      <Tabs selectedItem={selected} onChange={(item: unknown) => select(String(item))}>
        <Tabs.TabList aria-label={t('nav.tabs.label')}>
          {views.map((v) => (
            <Tabs.Tab key={v.id} item={v.id} data-testid={`nav-tab-${v.id}`}>
              {t(v.labelKey)}
            </Tabs.Tab>
          ))}
        </Tabs.TabList>
        {views.map((v) => {
          const View = v.component;
          return (
            <Tabs.TabPanel key={v.id} item={v.id} data-testid={`nav-panel-${v.id}`}>
              {v.id === selected ? <View /> : null}
            </Tabs.TabPanel>
          );
        })}
      </Tabs>
    </Root>
  );
}
