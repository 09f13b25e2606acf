// Northwind Parcel demo site — the site's own script (first party, necessary).
// It stores nothing and sets no cookies.
(function () {
  "use strict";

  // Footer year.
  document.querySelectorAll("[data-year]").forEach(function (el) {
    el.textContent = String(new Date().getFullYear());
  });

  // "Network today" figures on the home page, read from a first-party JSON file.
  var stats = document.querySelector("[data-network-stats]");
  if (stats && window.fetch) {
    fetch("/data/sample.json", { headers: { Accept: "application/json" } })
      .then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.json();
      })
      .then(function (data) {
        var n = data && data.network;
        if (!n) return;
        var set = function (key, value) {
          var el = stats.querySelector('[data-stat="' + key + '"]');
          if (el && value !== undefined) el.textContent = String(value);
        };
        set("depots", n.depots);
        set("parcels", Number(n.parcels_today).toLocaleString("en-GB"));
        set("on-time", n.on_time_percent + "%");
      })
      .catch(function () { /* keep the figures already in the page */ });
  }

  // Contact form: this is a static demo, so nothing is sent anywhere.
  var form = document.querySelector("[data-contact-form]");
  if (form) {
    var status = form.querySelector("[data-form-status]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.checkValidity()) {
        form.reportValidity();
        return;
      }
      if (status) {
        status.textContent = "Thank you. This is a demonstration site, so your message was not sent.";
      }
      form.reset();
    });
  }
})();
