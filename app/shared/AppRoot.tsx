/**
 * Everything a location needs before its first render: the registered ZAF client, the context, the
 * installation settings, the agent's locale, and the signed service API. Each location page mounts its
 * component through `mountLocation`.
 */
import {
  Component,
  createContext,
  StrictMode,
  useContext,
  useEffect,
  useState,
  type ComponentType,
  type ReactNode,
} from 'react';
import { createRoot } from 'react-dom/client';
import { createGlobalStyle } from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { getColor, ThemeProvider } from '@zendeskgarden/react-theming';
import { createServiceApi, type ServiceApi } from '../api';
import { englishTranslate, loadMessages, resolveLocale, type Locale, type Messages } from '../i18n/i18n';
import { I18nProvider, useI18n } from '../i18n/I18nProvider';
import { parseSettings, type AppSettings, type SettingsProblem } from '../settings';
import {
  ClientProvider,
  initZafClient,
  useClient,
  type ZafClient,
  type ZafContext,
  type ZafLocation,
  type ZafMetadata,
} from '../zaf';
import { ErrorState, LoadingState } from './states';

export interface ZendeskUser {
  id?: number;
  name?: string;
  locale?: string;
  /** admin, agent, or a custom role's name. */
  role?: string;
}

export interface AppEnv {
  context: ZafContext;
  metadata: ZafMetadata;
  settings: AppSettings;
  problems: SettingsProblem[];
  user: ZendeskUser;
  /** Null when the service URL setting is missing or invalid (see `problems`). */
  api: ServiceApi | null;
}

const AppEnvContext = createContext<AppEnv | null>(null);

export function AppEnvProvider({ env, children }: { env: AppEnv; children: ReactNode }) {
  return <AppEnvContext.Provider value={env}>{children}</AppEnvContext.Provider>;
}

export function useAppEnv(): AppEnv {
  const env = useContext(AppEnvContext);
  if (!env) throw new Error('useAppEnv() must be used inside <AppEnvProvider>');
  return env;
}

export async function loadAppEnv(
  client: ZafClient,
): Promise<{ env: AppEnv; locale: Locale; messages: Messages }> {
  const [context, metadata, user] = await Promise.all([
    client.context(),
    client.metadata(),
    client.get<ZendeskUser>('currentUser').catch(() => ({}) as ZendeskUser),
  ]);
  const locale = resolveLocale(user?.locale);
  const messages = await loadMessages(locale).catch(() => loadMessages('en'));
  const { settings, problems } = parseSettings(metadata?.settings);
  const subdomain = context.account?.subdomain;
  const api =
    settings.serviceUrl && subdomain
      ? createServiceApi({
          client,
          serviceUrl: settings.serviceUrl,
          subdomain,
          ...(user?.id ? { userId: user.id } : {}),
          ...(user?.role ? { role: user.role } : {}),
        })
      : null;
  return { env: { context, metadata, settings, problems, user: user ?? {}, api }, locale, messages };
}

function EnvLoader({ expected, children }: { expected: ZafLocation; children: ReactNode }) {
  const client = useClient();
  const [state, setState] = useState<
    | { kind: 'loading' }
    | { kind: 'failed' }
    | { kind: 'ready'; env: AppEnv; locale: Locale; messages: Messages }
  >({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    performance.mark?.('concierge:registered');
    loadAppEnv(client).then(
      (loaded) => {
        performance.mark?.('concierge:env-ready');
        if (live) setState({ kind: 'ready', ...loaded });
      },
      () => live && setState({ kind: 'failed' }),
    );
    return () => {
      live = false;
    };
  }, [client, attempt]);

  const t = englishTranslate;
  if (state.kind === 'loading') return <LoadingState label={t('common.loading')} />;
  if (state.kind === 'failed') {
    return (
      <ErrorState
        title={t('common.zendesk_unreachable.title')}
        action={
          <Button size="small" onClick={() => (setState({ kind: 'loading' }), setAttempt((a) => a + 1))}>
            {t('common.retry')}
          </Button>
        }
      >
        {t('common.zendesk_unreachable.body')}
      </ErrorState>
    );
  }
  return (
    <I18nProvider locale={state.locale} messages={state.messages}>
      <AppEnvProvider env={state.env}>
        {state.env.context.location === expected ? (
          children
        ) : (
          <WrongLocation location={String(state.env.context.location)} />
        )}
      </AppEnvProvider>
    </I18nProvider>
  );
}

function WrongLocation({ location }: { location: string }) {
  const { t } = useI18n();
  return (
    <ErrorState title={t('common.wrong_location.title')}>
      {t('common.wrong_location.body', { location })}
    </ErrorState>
  );
}

class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    if (!this.state.failed) return this.props.children;
    const t = englishTranslate;
    return (
      <ErrorState
        title={t('common.crashed.title')}
        action={
          <Button size="small" onClick={() => window.location.reload()}>
            {t('common.reload')}
          </Button>
        }
      >
        {t('common.crashed.body')}
      </ErrorState>
    );
  }
}

const GlobalStyle = createGlobalStyle`
  html, body { margin: 0; padding: 0; }
  body {
    font-family: ${(p) => p.theme.fonts.system};
    font-size: ${(p) => p.theme.fontSizes.md};
    line-height: ${(p) => p.theme.lineHeights.md};
    color: ${(p) => getColor({ theme: p.theme, variable: 'foreground.default' })};
    background: ${(p) => getColor({ theme: p.theme, variable: 'background.default' })};
    -webkit-font-smoothing: antialiased;
  }
  *, *::before, *::after { box-sizing: border-box; }
`;

export function Providers({
  client,
  expected,
  children,
}: {
  client: ZafClient;
  expected: ZafLocation;
  children: ReactNode;
}) {
  return (
    <ClientProvider client={client}>
      <ErrorBoundary>
        <EnvLoader expected={expected}>{children}</EnvLoader>
      </ErrorBoundary>
    </ClientProvider>
  );
}

function NotInZendesk() {
  const t = englishTranslate;
  return (
    <ErrorState title={t('common.not_in_zendesk.title')} type="info">
      {t('common.not_in_zendesk.body')}
    </ErrorState>
  );
}

export function mountLocation(expected: ZafLocation, Location: ComponentType): void {
  const el = document.getElementById('root');
  if (!el) throw new Error('#root is missing from the page');
  const client = initZafClient();
  createRoot(el).render(
    <StrictMode>
      <ThemeProvider>
        <GlobalStyle />
        {client ? (
          <Providers client={client} expected={expected}>
            <Location />
          </Providers>
        ) : (
          <NotInZendesk />
        )}
      </ThemeProvider>
    </StrictMode>,
  );
}
