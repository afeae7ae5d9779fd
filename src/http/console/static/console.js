/* global document, window */
// Bazaar console: the little behaviour htmx does not give. Served as a file (the CSP allows no inline script).
(function () {
  'use strict';
  // Buttons that ask first: <button data-confirm="...">.
  document.addEventListener('submit', function (event) {
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute('data-confirm')) || event.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
  // An htmx request that finds the session gone: go to the sign-in page with the expiry prompt.
  document.addEventListener('htmx:responseError', function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 401) {
      window.location.assign('/admin/sign-in?expired=1&next=' + encodeURIComponent(window.location.pathname + window.location.search));
      return;
    }
    var target = event.detail.target;
    if (target) {
      var box = document.createElement('p');
      box.className = 'flash bad';
      box.setAttribute('role', 'alert');
      box.textContent = (document.documentElement.lang === 'en' ? 'This could not be loaded (HTTP ' : '加载失败（HTTP ') + xhr.status + ')';
      target.replaceWith(box);
    }
  });
  document.addEventListener('htmx:sendError', function (event) {
    var target = event.detail.target;
    if (target) {
      var box = document.createElement('p');
      box.className = 'flash bad';
      box.setAttribute('role', 'alert');
      box.textContent = document.documentElement.lang === 'en' ? 'The server could not be reached.' : '无法连接服务器。';
      target.replaceWith(box);
    }
  });
})();
