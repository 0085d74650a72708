// Starts the example deck (a file of its own: the site runs under a CSP
// without inline scripts).
Reveal.initialize({ hash: true, width: 1280, height: 820, margin: 0.03, center: true });
