import { mountLocation } from '../shared/AppRoot';
import { TopBar } from './TopBar';

mountLocation('top_bar', TopBar);
