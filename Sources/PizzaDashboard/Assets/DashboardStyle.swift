/// The dashboard's stylesheet (served as `/assets/dashboard.css`; the CSP allows no inline styles).
enum DashboardStyle {
    static let source = """
        :root { --fg: #1d2330; --muted: #667085; --line: #d0d5dd; --bg: #f7f8fa; --card: #fff;
          --accent: #c2410c; --ok: #15803d; --warn: #b45309; --bad: #b91c1c; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: 12px 20px; align-items: center; padding: 10px 20px;
          background: var(--card); border-bottom: 1px solid var(--line); }
        header h1 { font-size: 18px; margin: 0; color: var(--accent); }
        nav a { margin-right: 12px; color: var(--fg); text-decoration: none; padding: 4px 2px; }
        nav a.active { border-bottom: 2px solid var(--accent); font-weight: 600; }
        #search { display: flex; gap: 6px; margin-left: auto; }
        #search input { width: 300px; }
        input, select, button { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
        button { cursor: pointer; }
        button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
        button.danger { background: var(--bad); color: #fff; border-color: var(--bad); }
        .live { font-size: 12px; color: var(--muted); }
        .live.on::before { content: "● "; color: var(--ok); }
        .live.off::before { content: "● "; color: var(--bad); }
        .badge { font-size: 12px; padding: 1px 8px; border-radius: 10px; background: #eef; }
        main { padding: 16px 20px; }
        h2 { font-size: 16px; margin: 18px 0 8px; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .card .label { color: var(--muted); font-size: 12px; }
        .card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .card .sub { color: var(--muted); font-size: 12px; min-height: 1.4em; }
        .card svg { width: 100%; height: 60px; display: block; margin-top: 4px; }
        .card svg polyline { fill: none; stroke: var(--accent); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
        .card svg polyline.second { stroke: #2563eb; }
        .card svg line { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }
        .card.alert .value { color: var(--bad); }
        td.chart { width: 130px; padding: 2px 8px; }
        svg.spark { width: 120px; height: 28px; display: block; }
        svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.2; vector-effect: non-scaling-stroke; }
        svg.spark polyline.second { stroke: #2563eb; }
        svg.spark line { stroke: var(--line); stroke-width: 1; vector-effect: non-scaling-stroke; }
        table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.error { color: var(--bad); max-width: 420px; overflow-wrap: anywhere; }
        tr.clickable:hover { background: #fff7ed; cursor: pointer; }
        .status { font-size: 12px; padding: 1px 8px; border-radius: 10px; }
        .status.pending { background: #fef3c7; color: var(--warn); }
        .status.completed { background: #dcfce7; color: var(--ok); }
        .status.failed { background: #fee2e2; color: var(--bad); }
        .toolbar { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
        .message { margin: 8px 0; padding: 6px 10px; border-radius: 6px; background: #ecfdf5; }
        .message.error { background: #fef2f2; color: var(--bad); }
        dl { display: grid; grid-template-columns: 160px 1fr; gap: 4px 12px; background: var(--card);
          border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        dt { color: var(--muted); }
        dd { margin: 0; overflow-wrap: anywhere; }
        pre { background: #0f172a; color: #e2e8f0; padding: 10px 12px; border-radius: 8px; overflow: auto; }
        ol.timeline { list-style: none; padding: 0; }
        ol.timeline li { padding: 6px 10px; border-left: 3px solid var(--line); margin-left: 6px; background: var(--card); margin-bottom: 4px; }
        ol.timeline li.effect { border-left-color: var(--ok); }
        ol.timeline li.failed { border-left-color: var(--bad); }
        ol.timeline li.published { border-left-color: #2563eb; }
        ol.timeline time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 10px; }
        .muted { color: var(--muted); }
        body.sign-in main { max-width: 360px; margin: 12vh auto; background: var(--card); border: 1px solid var(--line);
          border-radius: 10px; padding: 20px 24px; }
        body.sign-in form { display: grid; gap: 8px; }
        p.error { color: var(--bad); }
        p.hint { color: var(--muted); font-size: 12px; }
        """
}
