import { post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { showError, clearMessage } from '../ui.js';

const BUSY_RETRIES = 10; // login_busy answers waited out before the message is shown

export function render({ root, setTitle, afterLogin }) {
  setTitle(t('login.title'));
  const username = h('input', {
    id: 'login-username', name: 'username', class: 'input', type: 'text', autocomplete: 'username',
    autocapitalize: 'none', spellcheck: 'false', required: true, testid: 'login-username',
  });
  const password = h('input', {
    id: 'login-password', name: 'password', class: 'input', type: 'password', autocomplete: 'current-password',
    required: true, testid: 'login-password',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block', testid: 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'login-form', testid: 'login-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'login-username' }, t('login.username')), username),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, t('login.password')), password),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!username.value.trim()) { username.focus(); return; }
    if (!password.value) { password.focus(); return; }
    submit.disabled = true;
    submit.textContent = t('login.busy');
    try {
      const body = { username: username.value.trim(), password: password.value };
      let resp;
      // Many tablets of one hall signing in at the same moment: the server says it is busy (login_busy) and
      // when to come back; the tablet waits and tries again by itself rather than asking the delegate.
      for (let attempt = 1; ; attempt++) {
        try {
          resp = await post('/api/auth/login', body, { noAuthRedirect: true });
          break;
        } catch (err) {
          if (err.code !== 'login_busy' || attempt >= BUSY_RETRIES) throw err;
          submit.textContent = t('login.retrying');
          await new Promise((r) => setTimeout(r, ((err.retryAfter || 1) + Math.random()) * 1000));
        }
      }
      clearMessage();
      await afterLogin(resp);
    } catch (err) {
      showError(err);
      password.select();
      submit.disabled = false;
      submit.textContent = t('login.submit');
    }
  });
  root.append(h('section', { class: 'login-card card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', class: 'page-title' }, t('login.title')),
    h('p', { class: 'muted' }, t('login.intro')),
    form));
  username.focus();
}
