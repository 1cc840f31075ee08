// Hồ sơ của tôi: who I am (name, title, unit, roles) and my signature image, shown in my signature box when I sign a
// biên bản or thông báo (docs/signing.md "Images").
import { h } from '../dom.js';
import { t, tMaybe } from '../i18n.js';
import { getUser } from '../session.js';
import { imageField } from '../image-field.js';
import { pageHeader } from '../ui.js';

export async function render({ root, setTitle }) {
  setTitle(t('profile.title'));
  const user = getUser();
  const fact = (label, value) => h('div', { class: 'fact' }, h('dt', {}, label), h('dd', {}, value || '—'));
  root.append(
    pageHeader(t('profile.title')),
    h('section', { class: 'card', testid: 'profile-facts' },
      h('dl', { class: 'facts' },
        fact(t('profile.name'), user.full_name || user.username),
        fact(t('profile.username'), user.username),
        fact(t('profile.jobTitle'), user.title),
        fact(t('profile.roles'), (user.roles || []).map((r) => tMaybe('role', r)).join(', ')))),
    h('section', { class: 'card', testid: 'profile-signature' },
      h('h2', { class: 'section-title' }, t('image.signature.title')),
      imageField({ url: '/api/me/signature-image', kind: 'signature', testid: 'signature-image' })));
}
