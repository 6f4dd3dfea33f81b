import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { ZafClient } from './client';

const ClientContext = createContext<ZafClient | null>(null);

/** Renders nothing until Zendesk has registered the app, then makes the client available. */
export function ClientProvider({ client, children }: { client: ZafClient; children: ReactNode }) {
  const [ready, setReady] = useState(client.isRegistered());
  useEffect(() => {
    let live = true;
    void client.registered().then(() => live && setReady(true));
    return () => {
      live = false;
    };
  }, [client]);
  if (!ready) return null;
  return <ClientContext.Provider value={client}>{children}</ClientContext.Provider>;
}

export function useClient(): ZafClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient() must be used inside <ClientProvider>');
  return client;
}
