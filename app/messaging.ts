/**
 * ZAF instance messaging between this app's locations in one Zendesk tab:
 *   ticket_sidebar → top_bar   `concierge.sidebar`  { ticketId, instanceGuid, present }   (hello / goodbye)
 *   ticket_sidebar → top_bar   `concierge.command`  SoftphoneCommand                       (mirrored controls)
 *   top_bar → ticket_sidebar   `concierge.softphone` SoftphoneSnapshot                     (call state)
 */
import type { SoftphoneCommand, SoftphoneSnapshot } from './top_bar/softphone/types';
import type { ZafClient } from './zaf';

export const EVENT_SIDEBAR = 'concierge.sidebar';
export const EVENT_COMMAND = 'concierge.command';
export const EVENT_SOFTPHONE = 'concierge.softphone';

export interface SidebarPresence {
  ticketId: number;
  instanceGuid: string;
  present: boolean;
}

async function instancesAt(client: ZafClient, location: string): Promise<string[]> {
  try {
    return (await client.instances()).filter((i) => i.location === location).map((i) => i.instanceGuid);
  } catch {
    return [];
  }
}

export async function sendToTopBar(client: ZafClient, event: string, data: unknown): Promise<boolean> {
  const guids = await instancesAt(client, 'top_bar');
  guids.forEach((guid) => client.instance(guid).trigger(event, data));
  return guids.length > 0;
}

export async function sendToSidebars(client: ZafClient, snapshot: SoftphoneSnapshot): Promise<void> {
  const guids = await instancesAt(client, 'ticket_sidebar');
  guids.forEach((guid) => client.instance(guid).trigger(EVENT_SOFTPHONE, snapshot));
}

export function sendCommandToTopBar(client: ZafClient, command: SoftphoneCommand): Promise<boolean> {
  return sendToTopBar(client, EVENT_COMMAND, command);
}

export function parsePresence(value: unknown): SidebarPresence | null {
  const v = value as Partial<SidebarPresence> | null;
  if (
    !v ||
    typeof v.instanceGuid !== 'string' ||
    typeof v.ticketId !== 'number' ||
    typeof v.present !== 'boolean'
  ) {
    return null;
  }
  return { ticketId: v.ticketId, instanceGuid: v.instanceGuid, present: v.present };
}
