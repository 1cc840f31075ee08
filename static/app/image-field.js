// A signature or seal image (docs/signing.md "Images"): its preview on a white card, a big button to choose a PNG
// or JPEG (sent as the body of PUT `url`; the server re-encodes it and says why it refuses one), and delete.
// Used by "Hồ sơ của tôi" (one's own signature) and the unit administration page (a unit's seal).
import { put, del } from './api.js';
import { h, uid } from './dom.js';
import { t } from './i18n.js';
import { busy, formError, showNotice, confirmDialog } from './ui.js';

export function imageField({ url, kind, testid }) {
  const id = uid('img');
  const preview = h('img', { class: `image-preview image-${kind}`, alt: t(`image.${kind}.alt`), testid: `${testid}-preview`, hidden: true });
  const none = h('p', { class: 'muted', testid: `${testid}-none`, hidden: true }, t(`image.${kind}.none`));
  const input = h('input', { type: 'file', accept: 'image/png,image/jpeg', class: 'visually-hidden', id, testid: `${testid}-file` });
  const choose = h('label', { class: 'btn btn-primary btn-large', for: id, testid: `${testid}-choose` }, t('image.choose'));
  const remove = h('button', { type: 'button', class: 'btn btn-large btn-danger-outline', testid: `${testid}-delete`, hidden: true }, t('image.delete'));
  const error = formError(`${testid}-error`);
  const show = (present) => {
    preview.hidden = !present;
    remove.hidden = !present;
    none.hidden = present;
    if (present) preview.src = `${url}?v=${Date.now()}`;
    else preview.removeAttribute('src');
  };
  preview.addEventListener('error', () => show(false)); // 404: none kept
  input.addEventListener('change', () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    busy([remove, input], async () => {
      const answer = await put(url, file);
      show(Boolean(answer && answer.present));
      showNotice(t('common.saved'));
    }, error);
  });
  remove.addEventListener('click', () => busy(remove, async () => {
    if (!(await confirmDialog(t(`image.${kind}.confirmDelete`), { danger: true, confirmLabel: t('common.delete') }))) return;
    await del(url);
    show(false);
  }, error));
  show(true);
  return h('div', { class: 'image-field', testid },
    h('div', { class: 'image-frame' }, preview, none),
    h('p', { class: 'muted small' }, t(`image.${kind}.hint`)),
    h('div', { class: 'field-row' }, input, choose, remove),
    error);
}
