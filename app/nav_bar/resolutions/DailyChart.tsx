/**
 * Resolutions per day, stacked by kind, as a small SVG (no chart library). Each day is one focusable
 * bar: Tab reaches the chart, ←/→ (Home/End) move between days, Enter or Space opens the day.
 */
import { useRef, useState, type KeyboardEvent } from 'react';
import styled, { useTheme } from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { SM } from '@zendeskgarden/react-typography';
import type { MessageKey } from '../../i18n/i18n';
import { useI18n } from '../../i18n/I18nProvider';
import { KINDS, type Kind, type UsageDay } from './billingApi';

export const KIND_KEY: Record<Kind, MessageKey> = {
  automated: 'resolutions.kind.automated',
  ai_assisted: 'resolutions.kind.ai_assisted',
  human: 'resolutions.kind.human',
};
const KIND_HUE: Record<Kind, { hue: string; shade: number }> = {
  automated: { hue: 'green', shade: 600 },
  ai_assisted: { hue: 'blue', shade: 600 },
  human: { hue: 'grey', shade: 500 },
};

export function useKindColor(): (kind: Kind) => string {
  const theme = useTheme();
  return (kind) => getColor({ theme, ...KIND_HUE[kind] }) ?? 'currentColor';
}

const BAR = 16;
const GAP = 6;
const HEIGHT = 120;

const Figure = styled.figure`
  margin: 0;
  svg {
    display: block;
    width: 100%;
    height: ${HEIGHT + 4}px;
    overflow: visible;
  }
  g[role='button'] {
    cursor: pointer;
    outline: none;
  }
  g[role='button']:focus-visible .focus,
  g[role='button'][aria-pressed='true'] .focus {
    stroke: ${(p) => getColor({ theme: p.theme, variable: 'border.primaryEmphasis' })};
    stroke-width: 2;
  }
`;

const Axis = styled.div`
  display: flex;
  justify-content: space-between;
  color: ${(p) => getColor({ theme: p.theme, variable: 'foreground.subtle' })};
`;

const Legend = styled.ul`
  display: flex;
  flex-wrap: wrap;
  gap: ${(p) => p.theme.space.xs} ${(p) => p.theme.space.md};
  margin: ${(p) => p.theme.space.xs} 0 0;
  padding: 0;
  list-style: none;
  li {
    display: flex;
    align-items: center;
    gap: ${(p) => p.theme.space.xxs};
  }
`;

const Swatch = styled.span<{ $color: string }>`
  display: inline-block;
  width: 10px;
  height: 10px;
  border-radius: 2px;
  background: ${(p) => p.$color};
`;

export function DailyChart({
  days,
  selected,
  onSelect,
  formatDay,
}: {
  days: UsageDay[];
  selected: string | null;
  onSelect: (date: string) => void;
  formatDay: (date: string) => string;
}) {
  const { t } = useI18n();
  const color = useKindColor();
  const refs = useRef<(SVGGElement | null)[]>([]);
  const [focus, setFocus] = useState(() =>
    Math.max(
      0,
      days.findIndex((d) => d.date === selected),
    ),
  );
  const max = Math.max(1, ...days.map((d) => KINDS.reduce((s, k) => s + Math.max(0, d.resolutions[k]), 0)));
  const width = Math.max(1, days.length * (BAR + GAP) - GAP);

  const move = (to: number) => {
    const i = Math.min(days.length - 1, Math.max(0, to));
    setFocus(i);
    refs.current[i]?.focus();
  };
  const onKey = (e: KeyboardEvent, i: number) => {
    const keys: Record<string, () => void> = {
      ArrowRight: () => move(i + 1),
      ArrowLeft: () => move(i - 1),
      Home: () => move(0),
      End: () => move(days.length - 1),
      Enter: () => onSelect(days[i]!.date),
      ' ': () => onSelect(days[i]!.date),
    };
    const run = keys[e.key];
    if (!run) return;
    e.preventDefault();
    run();
  };

  return (
    <Figure aria-label={t('resolutions.chart.label')} data-testid="resolutions-chart">
      <svg viewBox={`0 0 ${width} ${HEIGHT}`} preserveAspectRatio="none" role="group">
        {days.map((d, i) => {
          const label = t('resolutions.chart.bar', {
            date: formatDay(d.date),
            automated: d.resolutions.automated,
            ai_assisted: d.resolutions.ai_assisted,
            human: d.resolutions.human,
          });
          const x = i * (BAR + GAP);
          let y = HEIGHT;
          return (
            <g
              key={d.date}
              ref={(el) => {
                refs.current[i] = el;
              }}
              role="button"
              tabIndex={i === focus ? 0 : -1}
              aria-label={label}
              aria-pressed={d.date === selected}
              data-testid={`bar-${d.date}`}
              onClick={() => (setFocus(i), onSelect(d.date))}
              onKeyDown={(e) => onKey(e, i)}
            >
              <title>{label}</title>
              <rect className="focus" x={x - 1} y={0} width={BAR + 2} height={HEIGHT} fill="transparent" />
              {KINDS.map((k) => {
                const h = (Math.max(0, d.resolutions[k]) / max) * (HEIGHT - 4);
                if (h <= 0) return null;
                y -= h;
                return <rect key={k} x={x} y={y} width={BAR} height={h} fill={color(k)} data-kind={k} />;
              })}
            </g>
          );
        })}
      </svg>
      <Axis aria-hidden="true">
        <SM>{days[0] ? formatDay(days[0].date) : ''}</SM>
        <SM>{t('resolutions.chart.max', { n: max })}</SM>
        <SM>{days.at(-1) ? formatDay(days.at(-1)!.date) : ''}</SM>
      </Axis>
      <Legend aria-label={t('resolutions.chart.legend')}>
        {KINDS.map((k) => (
          <li key={k}>
            <Swatch $color={color(k)} aria-hidden="true" />
            <SM>{t(KIND_KEY[k])}</SM>
          </li>
        ))}
      </Legend>
    </Figure>
  );
}
