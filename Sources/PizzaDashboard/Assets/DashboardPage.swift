/// The dashboard's two HTML pages, rendered on the server with every value escaped; everything
/// else the page shows is drawn by `DashboardScript` with `textContent`, never as markup.
enum DashboardPage {
    /// The application shell: the header, an empty `main` the script fills, the CSRF token.
    static func page(csrfToken: String, readOnly: Bool, signedIn: Bool) -> String {
        """
        \(head(
            title: "Pizza Outbox dashboard",
            extra: """
                <meta name="csrf-token" content="\(escape(csrfToken))">
                <meta name="read-only" content="\(readOnly ? "true" : "false")">
                <script src="/assets/dashboard.js" defer></script>
                """
        ))
        <body>
        <header>
          <h1>Pizza Outbox</h1>
          <nav>
            <a href="#/overview" id="nav-overview">Overview</a>
            <a href="#/events" id="nav-events">Events</a>
            <a href="#/failed" id="nav-failed">Failed</a>
          </nav>
          <form id="search" role="search">
            <input id="search-input" name="q" placeholder="event id or order id" aria-label="Event id or order id" autocomplete="off">
            <button type="submit">Find</button>
          </form>
          <span id="live" class="live">connecting…</span>
          \(readOnly ? "<span class=\"badge\">read-only</span>" : "")
          \(signedIn ? "<button type=\"button\" id=\"sign-out\">Sign out</button>" : "")
        </header>
        <main id="main"><p>Loading…</p></main>
        </body>
        </html>
        """
    }

    /// The sign-in form, with an error line after a refused attempt.
    static func signIn(error: String?) -> String {
        """
        \(head(title: "Sign in · Pizza Outbox dashboard"))
        <body class="sign-in">
        <main>
          <h1>Pizza Outbox</h1>
          <form method="post" action="/login" id="sign-in">
            <label for="token">Admin token</label>
            <input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
            <button type="submit">Sign in</button>
          </form>
          \(error.map { "<p class=\"error\" id=\"sign-in-error\">\(escape($0))</p>" } ?? "")
          <p class="hint">The token is the one the dashboard was started with (<code>--admin-token</code> or <code>ADMIN_TOKEN</code>).</p>
        </main>
        </body>
        </html>
        """
    }

    /// The document's start up to `</head>`: the stylesheet, no favicon request, then `extra`.
    static func head(title: String, extra: String = "") -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>\(escape(title))</title>
        <link rel="stylesheet" href="/assets/dashboard.css">
        \(extra)
        </head>
        """
    }

    /// Text safe inside HTML elements and quoted attributes.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }
}
