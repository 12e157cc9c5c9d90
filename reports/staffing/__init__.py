"""The staffing planner (issue 17 §1, docs/staffing.md): how many qualifiers each weekday × hour needs
to call X % of the leads within the SLA, against the roster, with a what-if and a backtest.

- `erlang`: Erlang C, the quick estimate (Poisson arrivals, exponential handle times);
- `model`: the week's working-minute line, the roster as steps, the replay on the queue simulator
  (qualification.queue_sim, the queue-order benchmark's simulator and order);
- `history`: the team's history read from the database (selectors: three aggregate queries);
- `snapshot`: a big team's stored history, needs and roster replay, and the what-if by the days it changes;
- `page`: what the page shows, the what-if and the backtest.
"""
