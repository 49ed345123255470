/* Tells the server the browser's time zone in the "tz" cookie, so that times belonging to no
   airport (when an alert arrived, when a seat hold or a download runs out) are shown on the
   reader's own clock (booking_site/lib/viewer_zone.py). Without JavaScript, or when the
   profile names a zone, the server uses the profile's zone or the site's; every such time
   carries its zone's abbreviation either way. */
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  // Zone names are letters, digits and / _ + -: safe in a cookie as they are.
  if (!zone || !/^[A-Za-z0-9/_+-]{1,64}$/.test(zone)) {
    return;
  }
  var current = document.cookie.split("; ").filter(function (pair) {
    return pair.indexOf("tz=") === 0;
  })[0];
  if (current === "tz=" + zone) {
    return;
  }
  document.cookie =
    "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
})();
