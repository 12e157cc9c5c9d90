"""The qualification team's pages: the workspace (queue, lead card, its actions, my hand-offs) and the SLA
panel of the team lead."""
