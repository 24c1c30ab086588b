/*
 * Autocomplete choosers: every <select data-autocomplete-url> becomes a Tom Select
 * (static/vendor/tom-select-*) that searches the portal's lookup endpoint as the
 * user types (cooperation/views/lookups.py answers {"results": [{id, text}]}).
 *
 * The server decides what matches (it knows what is released to the user), so the
 * browser shows its answer as it is: no second filtering, no cache across searches.
 * Without JavaScript the <select> stays as rendered, with the current value(s).
 * Loaded with `defer` from base.html; no inline script, so the CSP holds.
 */
(function () {
  "use strict";

  var FOCUS_RING = "2px solid #0a58ca";

  function textElement(className, text) {
    var element = document.createElement("div");
    element.className = className;
    element.textContent = text;
    return element;
  }

  function setUp(select) {
    if (select.tomselect || typeof window.TomSelect !== "function") {
      return;
    }
    var endpoint = select.dataset.autocompleteUrl;
    var noResults = select.dataset.noResults || "";
    var matched = new Set();
    var multiple = select.multiple;

    var chooser = new window.TomSelect(select, {
      valueField: "id",
      labelField: "text",
      searchField: ["text"],
      placeholder: select.dataset.placeholder || "",
      maxItems: multiple ? null : 1,
      plugins: {
        remove_button: { title: select.dataset.removeLabel || "" },
      },
      preload: "focus",
      loadThrottle: 250,
      closeAfterSelect: !multiple,
      // Show what the server answered for the current search, in its order.
      score: function () {
        return function (item) {
          return matched.has(String(item.id)) ? 1 : 0;
        };
      },
      shouldLoad: function () {
        return true;
      },
      load: function (query, callback) {
        var self = this;
        var url = new URL(endpoint, window.location.href);
        url.searchParams.set("q", query);
        // An empty listbox is "busy", not broken, while the answer is on its way.
        self.dropdown_content.setAttribute("aria-busy", "true");
        fetch(url, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        })
          .then(function (response) {
            return response.ok ? response.json() : { results: [] };
          })
          .then(function (data) {
            if (query !== (self.lastValue || "")) {
              callback(); // an older search answered late: keep the newer one
              return;
            }
            var results = data.results || [];
            matched = new Set(
              results.map(function (result) {
                return String(result.id);
              })
            );
            self.clearOptions(); // keeps the chosen ones; forgets earlier searches
            callback(results);
          })
          .catch(function () {
            callback();
          })
          .finally(function () {
            if (!self.loading) {
              self.dropdown_content.removeAttribute("aria-busy");
            }
          });
      },
      // One chosen, the search starts again for the next one.
      onItemAdd: function () {
        if (multiple) {
          this.setTextboxValue("");
          this.refreshOptions(false);
        }
      },
      render: {
        no_results: function () {
          // Inside the listbox: an option that cannot be chosen says so.
          var element = textElement("no-results", noResults);
          element.setAttribute("role", "option");
          element.setAttribute("aria-disabled", "true");
          return element;
        },
      },
    });
    // Tom Select's stylesheet takes the outline off its search field (with
    // !important); put back the portal's keyboard focus ring (static/css/portal.css,
    // ":focus-visible"), as a style property: the CSP allows those, not style="".
    var search = chooser.control_input;
    search.addEventListener("focus", function () {
      search.style.setProperty("outline", FOCUS_RING, "important");
      search.style.setProperty("outline-offset", "2px");
    });
    search.addEventListener("blur", function () {
      search.style.removeProperty("outline");
      search.style.removeProperty("outline-offset");
    });
    // The label now names the search field; the select it replaces, kept for the
    // form (and out of the tab order), keeps the same name.
    var labelledBy = chooser.control_input.getAttribute("aria-labelledby");
    if (labelledBy) {
      select.setAttribute("aria-labelledby", labelledBy);
    }
  }

  function setUpAll(root) {
    root.querySelectorAll("select[data-autocomplete-url]").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      setUpAll(document);
    });
  } else {
    setUpAll(document);
  }
})();
