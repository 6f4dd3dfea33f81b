/** Loading, empty and error states, the same in every location. */
import type { ReactNode } from 'react';
import styled from 'styled-components';
import { Alert } from '@zendeskgarden/react-notifications';
import { Dots } from '@zendeskgarden/react-loaders';
import { Paragraph, SM } from '@zendeskgarden/react-typography';

const Centered = styled.div`
  display: flex;
  flex-direction: column;
  align-items: center;
  gap: ${(p) => p.theme.space.xs};
  padding: ${(p) => p.theme.space.md} ${(p) => p.theme.space.sm};
  text-align: center;
`;

export function LoadingState({ label }: { label: string }) {
  return (
    <Centered role="status" aria-live="polite">
      <Dots size={24} aria-hidden="true" />
      <SM>{label}</SM>
    </Centered>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Centered>
      <Paragraph>
        <strong>{title}</strong>
      </Paragraph>
      {children ? <SM>{children}</SM> : null}
    </Centered>
  );
}

export function ErrorState({
  title,
  children,
  action,
  type = 'error',
  testId,
}: {
  title: string;
  children?: ReactNode;
  action?: ReactNode;
  type?: 'error' | 'warning' | 'info';
  testId?: string;
}) {
  return (
    <Alert type={type} role="alert" data-testid={testId}>
      <Alert.Title>{title}</Alert.Title>
      {children}
      {action ? <ActionRow>{action}</ActionRow> : null}
    </Alert>
  );
}

const ActionRow = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${(p) => p.theme.space.xs};
  margin-top: ${(p) => p.theme.space.xs};
`;
