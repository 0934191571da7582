import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderApp } from '../../../../testing/render';
import { CallControls } from '../call-controls';
import { ChatPanel } from '../chat-panel';
import { ParticipantsPanel } from '../participants-panel';

const quiet = { muted: false, camera: true, sharing: false, hand: false };

describe('the chat panel', () => {
  const messages = [
    { from: 'p-ann', name: 'Ann', text: 'Hello <b>all</b>\nsecond line', at: '2026-12-08T09:00:00Z' },
    { from: 'p-me', name: 'Me', text: 'Hi', at: '2026-12-08T09:01:00Z' },
  ];

  it('shows each message as text with its author, and mine as mine', () => {
    renderApp(<ChatPanel messages={messages} myId="p-me" onSend={() => {}} />);
    const [first, second] = screen.getAllByRole('listitem').filter((item) => item.textContent);
    expect(within(first!).getByText('Ann')).toBeInTheDocument();
    expect(within(first!).getByText(/Hello <b>all<\/b>/)).toBeInTheDocument();
    expect(first!.querySelector('b')).toBeNull();
    expect(within(second!).getByText('You')).toBeInTheDocument();
  });

  it('sends the trimmed draft on Enter, keeps Shift+Enter for a new line, and sends nothing empty', async () => {
    const onSend = vi.fn();
    renderApp(<ChatPanel messages={[]} myId="p-me" onSend={onSend} />);
    const draft = screen.getByRole('textbox', { name: 'Message' });
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await userEvent.type(draft, '   {Enter}');
    expect(onSend).not.toHaveBeenCalled();
    await userEvent.type(draft, ' one{Shift>}{Enter}{/Shift}two {Enter}');
    expect(onSend).toHaveBeenCalledWith('one\ntwo');
    expect(draft).toHaveValue('');
  });
});

describe('the call controls', () => {
  const handlers = () => ({
    onMicrophone: vi.fn(), onCamera: vi.fn(), onScreen: vi.fn(), onHand: vi.fn(), onPanel: vi.fn(), onLeave: vi.fn(),
  });

  it('turn the microphone and camera off and on with Ctrl+D and Ctrl+E, as in Google Meet', async () => {
    const on = handlers();
    renderApp(<CallControls me={quiet} panel={null} unread={0} canShare {...on} />);
    await userEvent.keyboard('{Control>}d{/Control}');
    await userEvent.keyboard('{Control>}e{/Control}');
    await userEvent.keyboard('d');
    expect(on.onMicrophone).toHaveBeenCalledTimes(1);
    expect(on.onCamera).toHaveBeenCalledTimes(1);
  });

  it('say which are on, count unread messages, and open a panel', async () => {
    const on = handlers();
    renderApp(<CallControls me={{ ...quiet, muted: true, hand: true }} panel={null} unread={3} canShare={false} {...on} />);
    expect(screen.getByRole('button', { name: 'Turn off microphone' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByRole('button', { name: 'Turn off camera' })).toHaveAttribute('aria-pressed', 'false');
    expect(screen.getByRole('button', { name: 'Raise hand' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.queryByRole('button', { name: 'Share your screen' })).toBeNull();
    expect(screen.getByLabelText('3 unread messages')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Chat' }));
    expect(on.onPanel).toHaveBeenCalledWith('chat');
  });
});

describe('the participants panel', () => {
  it('lists everyone with what they have off, share or raised', () => {
    renderApp(
      <ParticipantsPanel
        people={[
          { id: 'me', name: 'You', state: quiet },
          { id: 'p-bob', name: 'Bob', state: { muted: true, camera: false, sharing: true, hand: true } },
        ]}
      />,
    );
    expect(screen.getByRole('heading', { name: '2 people' })).toBeInTheDocument();
    const bob = screen.getByText('Bob').closest('li')!;
    for (const label of ['Microphone off', 'Camera off', 'Sharing the screen', 'Hand raised']) {
      expect(within(bob).getByRole('img', { name: label })).toBeInTheDocument();
    }
    expect(within(screen.getByText('You').closest('li')!).queryAllByRole('img')).toHaveLength(0);
  });
});
