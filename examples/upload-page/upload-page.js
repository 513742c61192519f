/* global document, location, history, XMLHttpRequest, FormData, URLSearchParams */
// Uploads one image to image-resizer's POST /v1/images and shows the variants it stored. Whatever
// the server sends goes into the page through textContent and attributes only, never as HTML.

const DEFAULT_API = 'http://localhost:8080';
const UNREACHABLE =
  "the service could not be reached, or it does not allow this page's origin (CORS_ALLOWED_ORIGINS)";

const byId = (id) => document.getElementById(id);
const form = byId('upload-form');
const apiInput = byId('api');
const apiKeyInput = byId('api-key');
const fileInput = byId('file');
const widthsInput = byId('widths');
const formatSelect = byId('format');
const uploadButton = byId('upload');
const progress = byId('progress');
const status = byId('status');
const errorBox = byId('error');
const variantsBox = byId('variants');

apiInput.value = new URLSearchParams(location.search).get('api') ?? DEFAULT_API;

// Keep the chosen service in the address bar, so a reload or a shared link talks to it again.
apiInput.addEventListener('change', () => {
  const here = new URL(location.href);
  here.searchParams.set('api', apiInput.value.trim());
  history.replaceState(null, '', here);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  upload();
});

/** An element with text content (never parsed as HTML) and attributes. */
function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  return node;
}

/** The status line; data-state lets a test wait for the outcome without reading prose. */
function setStatus(state, ...parts) {
  status.dataset.state = state;
  status.replaceChildren(...parts);
}

function uploadUrl() {
  let url;
  try {
    url = new URL(apiInput.value.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // Keeps a path prefix (a service mounted under /resizer), with or without a trailing slash.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/images`;
  url.search = '';
  url.hash = '';
  const widths = widthsInput.value.replace(/\s+/g, '');
  if (widths) url.searchParams.set('widths', widths);
  if (formatSelect.value) url.searchParams.set('format', formatSelect.value);
  return url;
}

function upload() {
  const file = fileInput.files?.[0];
  const url = uploadUrl();
  errorBox.replaceChildren();
  variantsBox.replaceChildren();
  if (!file) return showProblem({ message: 'Choose an image file first.' });
  if (!url) return showProblem({ message: 'The API base URL must be an http(s):// URL.' });

  progress.max = 1;
  progress.value = 0;
  setStatus('uploading', `Uploading ${file.name}…`);
  uploadButton.disabled = true;

  const body = new FormData();
  body.append('image', file);
  // XMLHttpRequest, not fetch: only XHR reports upload progress. Listening to xhr.upload makes
  // the browser send a CORS preflight (OPTIONS) first, so the service must answer that too.
  const xhr = new XMLHttpRequest();
  xhr.open('POST', url);
  const key = apiKeyInput.value.trim();
  if (key) xhr.setRequestHeader('Authorization', `Bearer ${key}`);
  xhr.upload.addEventListener('progress', (event) => {
    if (!event.lengthComputable) {
      progress.removeAttribute('value'); // indeterminate: the browser does not know the total
      return;
    }
    // The bar alone shows the percentage: the status line is a live region, and a screen reader
    // would read out every step.
    progress.max = event.total;
    progress.value = event.loaded;
  });
  xhr.upload.addEventListener('load', () => {
    setStatus('uploading', 'Uploaded; the service is making the variants…');
  });
  xhr.addEventListener('load', () => showAnswer(xhr));
  // Status 0: the browser hides why (refused, DNS, or a CORS refusal), so name both causes.
  xhr.addEventListener('error', () => showProblem({ message: UNREACHABLE }));
  xhr.addEventListener('loadend', () => {
    uploadButton.disabled = false;
  });
  xhr.send(body);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function showAnswer(xhr) {
  const headerId = requestIdHeader(xhr);
  const answer = parseJson(xhr.responseText);
  if (xhr.status === 0) return showProblem({ message: UNREACHABLE });
  if ((xhr.status === 200 || xhr.status === 201) && Array.isArray(answer?.variants)) {
    return showVariants(answer, xhr.status, headerId);
  }
  const error = answer?.error;
  if (error && typeof error === 'object') {
    return showProblem({
      message: error.message ?? 'no message',
      code: error.code,
      status: xhr.status,
      requestId: headerId ?? error.requestId,
    });
  }
  // Not the service's JSON: a proxy's HTML page, or a 2xx of an unexpected shape.
  const text = xhr.responseText.trim().slice(0, 300);
  showProblem({
    message: text || xhr.statusText || 'an answer without a body',
    status: xhr.status,
    requestId: headerId,
  });
}

/**
 * X-Request-Id, when the service lists it in Access-Control-Expose-Headers. Read from the list of
 * exposed headers: getResponseHeader on a hidden one logs a console error.
 */
function requestIdHeader(xhr) {
  const line = xhr
    .getAllResponseHeaders()
    .split('\r\n')
    .find((header) => header.toLowerCase().startsWith('x-request-id:'));
  return line?.slice(line.indexOf(':') + 1).trim() || undefined;
}

function showProblem({ message, code, status: httpStatus, requestId }) {
  setStatus('failed', httpStatus ? `Upload failed (HTTP ${httpStatus}).` : 'Upload failed.');
  const details = el('dl');
  const detail = (term, value, testId) => {
    if (value !== undefined && value !== null && value !== '') {
      details.append(el('dt', term), el('dd', value, { 'data-testid': testId }));
    }
  };
  detail('Code', code, 'error-code');
  detail('HTTP status', httpStatus, 'error-status');
  detail('Request id', requestId, 'error-request-id');
  errorBox.replaceChildren(el('p', message, { 'data-testid': 'error-message' }), details);
}

function showVariants(answer, httpStatus, requestId) {
  const { variants, source } = answer;
  const what = httpStatus === 201 ? 'Stored' : 'Already stored (deduplicated)';
  const from = source ? ` of a ${source.width} × ${source.height} ${source.format}` : '';
  setStatus(
    'done',
    `${what}: ${variants.length} variant${variants.length === 1 ? '' : 's'}${from} · request id `,
    el('code', requestId ?? 'not exposed', { 'data-testid': 'request-id' }),
  );
  variantsBox.replaceChildren(...variants.map(variantFigure));
}

function variantFigure(variant) {
  const figure = el('figure', undefined, { 'data-testid': 'variant' });
  const href = httpUrl(variant.url);
  if (href) {
    const img = el('img', undefined, {
      src: href,
      alt: `${variant.width} pixels wide, ${variant.format}`,
      // Reserves the box before the image arrives; the stylesheet scales it down to fit.
      width: variant.width,
      height: variant.height,
    });
    const link = el('a', undefined, { href });
    link.append(img);
    figure.append(link);
  } else {
    // No url without the service's S3_PUBLIC_BASE_URL: the key is all there is to show.
    figure.append(el('code', variant.key));
  }
  const caption = `${variant.width} × ${variant.height} · ${variant.format} · ${size(variant.bytes)}`;
  figure.append(el('figcaption', caption));
  return figure;
}

/** The url only when it is http(s): a javascript: link from a bad server must not be clickable. */
function httpUrl(value) {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function size(bytes) {
  if (!Number.isFinite(bytes)) return 'size unknown';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
