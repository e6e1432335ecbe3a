// The one place a playable item is built for the player (`player.play`).

/**
 * A moment — `{ asset: {id, path, kind}, start, end, caption?, slate?, ... }` — made playable
 * with what plays it: `playback` ({url, native, reason}), `frame_rate` and `start_timecode`.
 * A search hit carries these itself (the API's finished hit), so `playable(hit)`; a moment of
 * the library, a collection or a face takes them from its asset's summary,
 * `playable(moment, summary)`. Without them the player plays `/media/{id}` and counts from
 * 00:00:00:00.
 */
export function playable(moment, source = moment) {
  const { id, path, kind } = moment.asset;
  return {
    ...moment,
    asset: { id, path, kind },
    playback: source ? source.playback : undefined,
    frameRate: source ? source.frame_rate : undefined,
    startTimecode: source ? source.start_timecode : undefined,
  };
}
