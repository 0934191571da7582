import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { json, mockApi, problem } from '../../../../testing/mock-api';
import { renderApp } from '../../../../testing/render';
import { SignInPage } from '../sign-in-page';

const emailOnly = { email: true, oidc: null };

describe('the sign-in page', () => {
  it('sends a sign-in link to the typed address and then says to check the mail', async () => {
    const api = mockApi()
      .on('GET', '/api/auth/options', json(200, emailOnly))
      .on('POST', '/api/auth/email', json(202, { sent: true }));
    const user = userEvent.setup();
    renderApp(<SignInPage />);

    await user.type(await screen.findByLabelText('Email address'), 'ann@example.org');
    await user.click(screen.getByRole('button', { name: 'Send me a sign-in link' }));

    expect(await screen.findByRole('heading', { name: 'Check your mail' })).toBeInTheDocument();
    expect(screen.getByText(/ann@example\.org/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Send again in 30 seconds/ })).toBeDisabled();
    const [sent] = api.sent('POST', '/api/auth/email');
    expect(sent?.body).toEqual({ email: 'ann@example.org', return_to: '/' });
  });

  it('tells how long to wait when the server limits sign-in requests (429)', async () => {
    mockApi()
      .on('GET', '/api/auth/options', json(200, emailOnly))
      .on('POST', '/api/auth/email', problem(429, 'rate-limited', 'too many', {}, { 'Retry-After': '120' }));
    const user = userEvent.setup();
    renderApp(<SignInPage />);

    await user.type(await screen.findByLabelText('Email address'), 'ann@example.org');
    await user.click(screen.getByRole('button', { name: 'Send me a sign-in link' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('Too many sign-in requests. Try again in 2 minutes.');
    expect(screen.queryByRole('heading', { name: 'Check your mail' })).not.toBeInTheDocument();
  });

  it('points at the field when the server refuses the address (422)', async () => {
    mockApi()
      .on('GET', '/api/auth/options', json(200, emailOnly))
      .on('POST', '/api/auth/email', problem(422, 'validation', 'email: not an address', { field: 'email' }));
    const user = userEvent.setup();
    renderApp(<SignInPage />);

    const field = await screen.findByLabelText('Email address');
    await user.type(field, 'ann@example.org');
    await user.click(screen.getByRole('button', { name: 'Send me a sign-in link' }));

    expect(await screen.findByText('Enter an email address like name@example.org.')).toBeInTheDocument();
    expect(field).toHaveAttribute('aria-invalid', 'true');
  });

  it('does not send an address that is not one', async () => {
    const api = mockApi().on('GET', '/api/auth/options', json(200, emailOnly));
    const user = userEvent.setup();
    renderApp(<SignInPage />);

    await user.type(await screen.findByLabelText('Email address'), 'ann');
    await user.click(screen.getByRole('button', { name: 'Send me a sign-in link' }));

    expect(screen.getByLabelText('Email address')).toHaveAccessibleDescription('Enter an email address like name@example.org.');
    expect(api.sent('POST', '/api/auth/email')).toHaveLength(0);
  });

  it('offers the identity provider when the server has one, returning to the same page', async () => {
    mockApi().on('GET', '/api/auth/options', json(200, { email: true, oidc: { name: 'Keycloak' } }));
    renderApp(<SignInPage />);

    const link = await screen.findByRole('link', { name: 'Sign in with Keycloak' });
    expect(link).toHaveAttribute('href', '/auth/oidc/start?return_to=%2F');
    expect(screen.getByRole('button', { name: 'Send me a sign-in link' })).toBeInTheDocument();
  });

  it('is in Russian when the person chose Russian', async () => {
    mockApi().on('GET', '/api/auth/options', json(200, emailOnly));
    const user = userEvent.setup();
    renderApp(<SignInPage />);

    await user.selectOptions(await screen.findByRole('combobox', { name: 'Language' }), 'ru');

    const main = screen.getByRole('main');
    expect(within(main).getByRole('heading', { name: 'Вход в вече' })).toBeInTheDocument();
    expect(within(main).getByRole('button', { name: 'Прислать ссылку для входа' })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('ru');
    expect(localStorage.getItem('veche.lang')).toBe('ru');
  });
});
