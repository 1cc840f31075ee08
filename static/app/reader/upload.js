// Multipart uploads of meeting papers (PDF), with upload progress: a commune hall's uplink can be slow, and a
// 30 MB paper takes a while. Errors come back in the standard shape {error: {code, message}} (Vietnamese).
import { ApiError, getCsrfToken, newId } from '../api.js';
import { getLang, t } from '../i18n.js';

/**
 * upload(path, {file, fields}, onProgress(fraction | null)) → the JSON answer; throws ApiError with the server's
 * message. `onProgress(null)` means the file is sent and the server is checking and rendering it.
 */
export function upload(path, { file, fields = {} }, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) form.append(k, String(v));
    form.append('file', file, file.name || 'tai-lieu.pdf');
    const xhr = new XMLHttpRequest();
    const sep = path.includes('?') ? '&' : '?';
    xhr.open('POST', `${path}${sep}lang=${getLang()}`);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', getLang() === 'en' ? 'en, vi;q=0.5' : 'vi, en;q=0.5');
    xhr.setRequestHeader('Idempotency-Key', newId());
    const token = getCsrfToken();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.upload.onload = () => onProgress(null);
    xhr.onerror = () => reject(new ApiError(0, 'network', t('error.network')));
    xhr.ontimeout = () => reject(new ApiError(0, 'timeout', t('error.timeout')));
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) { resolve(data); return; }
      const e = data && data.error;
      reject(e && e.message
        ? new ApiError(xhr.status, e.code || `http_${xhr.status}`, e.message)
        : new ApiError(xhr.status, `http_${xhr.status}`, t('error.http', { status: xhr.status })));
    };
    xhr.send(form);
  });
}
