// Scheduling a conference from the chair's page, as the stories begin: through the API with the
// page's own session (the schedule and invite screens have stories of their own).

/**
 * The logged-in casemanager on `page` schedules a conference on his first case `daysAhead` days
 * from now, plus up to `jitterMinutes` at random (stories that share a server must not book the
 * same slot: conferences of one case may not overlap), and invites people. `invites` maps a key to what to invite: `{ kind: 'guest', name,
 * organisation }`, `{ kind: 'client' }`, or `{ kind: 'member', userName }` for someone on the
 * case. Resolves with `{ meetingId, links }`, one invite link per key.
 */
export function scheduleConference(page, { purpose, daysAhead = 9, jitterMinutes = 0, invites = {} }) {
  return page.evaluate(async ([purpose, daysAhead, jitterMinutes, invites]) => {
    const json = async (res) => { const body = await res.json(); if (!res.ok) throw new Error(JSON.stringify(body)); return body; };
    const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const cases = await json(await fetch('/api/cases'));
    const list = Array.isArray(cases) ? cases : cases.cases || cases.items;
    const when = new Date(Date.now() + (daysAhead * 24 * 60 + Math.floor(Math.random() * jitterMinutes)) * 60_000).toISOString();
    const created = await json(await post(`/api/cases/${list[0].id}/meetings`, { scheduled_at: when, purpose }));
    const meetingId = created.id || created.meeting?.id;
    const detail = await json(await fetch(`/api/cases/${list[0].id}`));
    const links = {};
    for (const [key, { userName, ...body }] of Object.entries(invites)) {
      if (userName) {
        const member = detail.members.find((m) => m.user_name === userName);
        if (!member) throw new Error(`${userName} is not on the demo case`);
        body.user_id = member.user_id;
      }
      links[key] = (await json(await post(`/api/meetings/${meetingId}/invites`, body))).url;
    }
    return { meetingId, links };
  }, [purpose, daysAhead, jitterMinutes, invites]);
}
