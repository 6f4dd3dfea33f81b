import { useState, type FormEvent } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { useI18n } from '../i18n/I18nProvider';
import { normaliseNumber } from './softphone/types';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;

const Grid = styled.div`
  display: grid;
  grid-template-columns: repeat(3, 1fr);
  gap: ${(p) => p.theme.space.xs};
  margin-top: ${(p) => p.theme.space.xs};
`;

const Row = styled.div`
  display: flex;
  gap: ${(p) => p.theme.space.xs};
  margin-top: ${(p) => p.theme.space.sm};
`;

/** Digits for a new call; with `onDigit` (during a call) each key also sends DTMF. */
export function DialPad({
  onCall,
  onDigit,
  disabled,
}: {
  onCall?: (number: string) => void;
  onDigit?: (digit: string) => void;
  disabled?: boolean;
}) {
  const { t } = useI18n();
  const [number, setNumber] = useState('');
  const valid = normaliseNumber(number).replace('+', '').length >= 3;

  const press = (key: string) => {
    setNumber((n) => n + key);
    onDigit?.(key);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (onCall && valid && !disabled) {
      onCall(number);
      setNumber('');
    }
  };

  return (
    <form onSubmit={submit} aria-label={t('softphone.dialpad.label')}>
      <Field>
        <Field.Label>{t('softphone.dialpad.number')}</Field.Label>
        <Input
          type="tel"
          inputMode="tel"
          autoComplete="tel"
          placeholder={t('softphone.dialpad.placeholder')}
          value={number}
          onChange={(e) => setNumber(e.target.value)}
          isCompact
        />
      </Field>
      <Grid>
        {KEYS.map((key) => (
          <Button key={key} size="small" onClick={() => press(key)} type="button">
            {key}
          </Button>
        ))}
      </Grid>
      {onCall ? (
        <Row>
          <Button type="submit" isPrimary isStretched disabled={!valid || disabled}>
            {t('softphone.action.call')}
          </Button>
        </Row>
      ) : null}
    </form>
  );
}
