/**
 * @jest-environment jsdom
 */
import './support/dom';
import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect } from 'react';
import { NavBar, VIEWS, type NavView } from '../../app/nav_bar/NavBar';
import { renderWithTheme, t } from './support/dom';

const mounted: string[] = [];
function probe(id: string) {
  return function Probe() {
    useEffect(() => {
      mounted.push(id);
    }, []);
    return <p>view {id}</p>;
  };
}
const TWO: NavView[] = [
  { id: 'resolutions', labelKey: 'nav.tab.resolutions', component: probe('resolutions') },
  { id: 'other', labelKey: 'nav.tabs.label', component: probe('other') },
];

beforeEach(() => {
  mounted.length = 0;
  window.localStorage.clear();
});

describe('nav_bar shell', () => {
  it('registers Resolutions as the first view, then Knowledge and Account', () => {
    expect(VIEWS.map((v) => v.id)).toEqual(['resolutions', 'knowledge', 'account']);
  });

  it('when it opens, then one tab per view shows and only the first view is mounted', () => {
    renderWithTheme(<NavBar views={TWO} />);
    expect(screen.getAllByRole('tab').map((el) => el.textContent)).toEqual([
      t('nav.tab.resolutions'),
      t('nav.tabs.label'),
    ]);
    expect(screen.getByRole('tab', { name: t('nav.tab.resolutions') }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(screen.getByText('view resolutions')).toBeTruthy();
    expect(mounted).toEqual(['resolutions']);
  });

  it('when the agent moves with the arrow keys and Enter, then the other view shows and is remembered', async () => {
    const user = userEvent.setup();
    const { unmount } = renderWithTheme(<NavBar views={TWO} />);
    act(() => screen.getByRole('tab', { name: t('nav.tab.resolutions') }).focus());
    await user.keyboard('{ArrowRight}{Enter}');
    expect(screen.getByText('view other')).toBeTruthy();
    expect(screen.queryByText('view resolutions')).toBeNull();
    unmount();
    renderWithTheme(<NavBar views={TWO} />);
    expect(screen.getByRole('tab', { name: t('nav.tabs.label') }).getAttribute('aria-selected')).toBe('true');
  });
});
