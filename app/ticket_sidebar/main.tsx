import { mountLocation } from '../shared/AppRoot';
import { TicketSidebar } from './TicketSidebar';

mountLocation('ticket_sidebar', TicketSidebar);
