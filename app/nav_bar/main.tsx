import { mountLocation } from '../shared/AppRoot';
import { NavBar } from './NavBar';

mountLocation('nav_bar', NavBar);
