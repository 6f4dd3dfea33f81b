import 'styled-components';
import type { IGardenTheme } from '@zendeskgarden/react-theming';

// Garden's ThemeProvider is the styled-components theme; give `p.theme` its type.
declare module 'styled-components' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface DefaultTheme extends IGardenTheme {}
}
