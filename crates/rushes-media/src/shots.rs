//! Shot boundaries from the tiny detection frames: the hard-cut content score (the mean
//! HSV difference of consecutive frames, as PySceneDetect's ContentDetector computes it)
//! and gradual transitions (dissolves: a stretch where each frame is the blend of the
//! frames around it). Knows nothing of ffmpeg, sampling or time.

use std::collections::VecDeque;

/// Hard-cut detector: the mean absolute difference of hue, saturation and value (OpenCV's
/// 8-bit HSV: H 0-179, S and V 0-255) between consecutive frames downscaled to about 256
/// pixels wide, averaged over the three channels, as PySceneDetect's ContentDetector does.
pub struct ShotDetector {
    threshold: f32,
    previous: Vec<[u8; 3]>,
    current: Vec<[u8; 3]>,
}

/// Width the detector works at; PySceneDetect downscales to about this too.
pub(crate) const DETECTION_WIDTH: u32 = 256;

impl ShotDetector {
    pub fn new(threshold: f32) -> ShotDetector {
        ShotDetector {
            threshold,
            previous: Vec::new(),
            current: Vec::new(),
        }
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Takes the next RGB frame and returns its content score against the previous one
    /// (0 for the first frame or after a size change).
    pub fn push(&mut self, rgb: &[u8], width: u32, height: u32) -> f32 {
        let score = self.score(rgb, width, height);
        self.advance();
        score
    }

    /// The frame becomes the previous one: the one [`ShotDetector::score`] last saw.
    fn advance(&mut self) {
        std::mem::swap(&mut self.previous, &mut self.current);
    }

    /// The content score of an RGB frame against the previous one, without taking it yet.
    fn score(&mut self, rgb: &[u8], width: u32, height: u32) -> f32 {
        let factor = (width / DETECTION_WIDTH).max(1) as usize;
        let (width, height) = (width as usize, height as usize);
        let (small_w, small_h) = (width / factor, height / factor);
        self.current.clear();
        let area = (factor * factor) as u32;
        for by in 0..small_h {
            for bx in 0..small_w {
                let mut sum = [0u32; 3];
                for y in by * factor..(by + 1) * factor {
                    let row = (y * width + bx * factor) * 3;
                    for pixel in rgb[row..row + factor * 3].chunks_exact(3) {
                        sum[0] += u32::from(pixel[0]);
                        sum[1] += u32::from(pixel[1]);
                        sum[2] += u32::from(pixel[2]);
                    }
                }
                let mean = [
                    (sum[0] / area) as u8,
                    (sum[1] / area) as u8,
                    (sum[2] / area) as u8,
                ];
                self.current.push(rgb_to_hsv(mean));
            }
        }
        if self.previous.len() == self.current.len() && !self.current.is_empty() {
            let mut delta = [0u64; 3];
            for (a, b) in self.previous.iter().zip(&self.current) {
                for channel in 0..3 {
                    delta[channel] += u64::from(a[channel].abs_diff(b[channel]));
                }
            }
            let count = self.current.len() as f64;
            ((delta[0] + delta[1] + delta[2]) as f64 / (3.0 * count)) as f32
        } else {
            0.0
        }
    }
}

/// Fixed-point shift of OpenCV's 8-bit RGB-to-HSV conversion.
const HSV_SHIFT: u32 = 12;

/// `round((255 << 12) / v)`: saturation is `diff * SATURATION_DIVISORS[max] >> 12`.
const SATURATION_DIVISORS: [i32; 256] = divisor_table(255 << HSV_SHIFT, 1);
/// `round((180 << 12) / (6 * diff))`: hue in OpenCV's 0..180 range.
const HUE_DIVISORS: [i32; 256] = divisor_table(180 << HSV_SHIFT, 6);

/// `table[i] = round(numerator / (scale * i))`, 0 for i = 0.
const fn divisor_table(numerator: i32, scale: i32) -> [i32; 256] {
    let mut table = [0i32; 256];
    let mut i = 1;
    while i < 256 {
        let denominator = scale * i as i32;
        table[i] = (2 * numerator + denominator) / (2 * denominator);
        i += 1;
    }
    table
}

/// RGB to OpenCV's 8-bit HSV (H in 0..180), with OpenCV's integer arithmetic, so the
/// scores are the ones PySceneDetect computes on the same pixels.
fn rgb_to_hsv([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let max = r.max(g).max(b);
    let diff = max - r.min(g).min(b);
    let round = 1 << (HSV_SHIFT - 1);
    let saturation = (diff * SATURATION_DIVISORS[max as usize] + round) >> HSV_SHIFT;
    let sector = if max == r {
        g - b
    } else if max == g {
        b - r + 2 * diff
    } else {
        r - g + 4 * diff
    };
    let mut hue = (sector * HUE_DIVISORS[diff as usize] + round) >> HSV_SHIFT;
    if hue < 0 {
        hue += 180;
    }
    [hue as u8, saturation as u8, max as u8]
}

/// A decoded frame released by [`BoundaryFinder`] with what was found on it.
pub(crate) struct JudgedFrame<T> {
    /// What the caller pushed with the frame (its timestamp).
    pub stamp: T,
    /// The shot boundary on this frame, if it starts a new shot.
    pub boundary: Option<Boundary>,
}

/// Why a frame starts a new shot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// A hard cut at least the minimum shot length after the previous boundary: the first
    /// cut of a cluster.
    Cut,
    /// A hard cut closer than the minimum shot length to the previous boundary that
    /// PySceneDetect's merge rule reports (the last cut of a cluster; see [`MergeFilter`]).
    MergedCut,
    /// The middle of a dissolve.
    Dissolve,
}

/// Both detectors over one stream of frames, and the one rule that turns what they find
/// into shot boundaries ([`BoundaryFilter`]). Frames come back in order, held back by the
/// dissolve detector's delay and the merge rule's length, so that a dissolve found later is
/// marked on its middle frame and the merge rule's cut on the frame it names.
pub(crate) struct BoundaryFinder<T> {
    hard_cuts: ShotDetector,
    dissolves: DissolveDetector,
    filter: BoundaryFilter,
    /// Frames not released yet.
    held: VecDeque<HeldFrame<T>>,
    /// Frames held back: enough for the dissolve detector and the merge rule to mark theirs.
    delay: usize,
    /// Push index of the frame at the front of `held`.
    front_index: u64,
    /// Position of the latest frame pushed.
    last_position: Option<u64>,
}

/// A frame the decoder skipped, decoded again for [`BoundaryFinder::push`]: what the caller
/// keeps with it, its position and its RGB detection picture.
pub(crate) struct GapFrame<T> {
    pub stamp: T,
    pub position: u64,
    pub rgb: Vec<u8>,
}

/// Positions a gap may leave between two decoded frames before a cut after it is looked at
/// again at full rate: a cut found across a wider gap may be more than a frame late.
const GAP_WITHOUT_SECOND_LOOK: u64 = 2;

/// A frame waiting in [`BoundaryFinder`] with the marks the detectors left on it.
struct HeldFrame<T> {
    position: u64,
    stamp: T,
    hard_cut: bool,
    dissolve: bool,
    merge_cut: bool,
}

impl<T> BoundaryFinder<T> {
    /// `min_shot_len` in seconds is the filter's length in frames (PySceneDetect's default
    /// 15 frames is 0.6 s at 25 fps).
    pub(crate) fn new(threshold: f32, frame_rate: f64, min_shot_len: f64) -> BoundaryFinder<T> {
        let dissolves = DissolveDetector::new(frame_rate);
        let length = (min_shot_len * frame_rate).round().max(0.0) as u64;
        let delay = dissolves.delay().max(length as usize + 2);
        BoundaryFinder {
            hard_cuts: ShotDetector::new(threshold),
            dissolves,
            filter: BoundaryFilter::new(length),
            held: VecDeque::new(),
            delay,
            front_index: 0,
            last_position: None,
        }
    }

    /// Takes the next RGB detection frame and its position on the file's frame grid (frame
    /// number at the nominal rate: frames the decoder skipped leave gaps); returns the frames
    /// old enough to be final. When the frame is a hard cut more than two positions after
    /// the previous frame, `fill_gap(previous, position)` is asked for the skipped frames
    /// between them (in order), and every detector and the merge rule see those first, so
    /// the cut lands on its own frame. An empty answer leaves the cut where it was found.
    pub(crate) fn push(
        &mut self,
        stamp: T,
        position: u64,
        rgb: &[u8],
        (width, height): (u32, u32),
        fill_gap: &mut dyn FnMut(u64, u64) -> Vec<GapFrame<T>>,
    ) -> Vec<JudgedFrame<T>> {
        // Scored against the previous frame; not taken yet: skipped frames may come first.
        let mut score = self.hard_cuts.score(rgb, width, height);
        // Inside a dissolve, the change over two frames can reach the threshold where no
        // frame-to-frame change does: a cut across any skipped frame gets the second look.
        let widest_gap_without_second_look = if self.dissolves.in_blend() {
            1
        } else {
            GAP_WITHOUT_SECOND_LOOK
        };
        if let Some(previous) = self.last_position
            && position > previous + widest_gap_without_second_look
            && score >= self.hard_cuts.threshold()
        {
            let mut last_taken = previous;
            for frame in fill_gap(previous, position) {
                // Only frames strictly inside the gap, in order.
                if frame.position <= last_taken || frame.position >= position {
                    continue;
                }
                let gap_score = self.hard_cuts.score(&frame.rgb, width, height);
                self.hard_cuts.advance();
                self.take(
                    frame.stamp,
                    frame.position,
                    &frame.rgb,
                    (width, height),
                    gap_score,
                );
                last_taken = frame.position;
            }
            if last_taken != previous {
                // Against the last skipped frame now, not the frame before the gap.
                score = self.hard_cuts.score(rgb, width, height);
            }
        }
        self.hard_cuts.advance();
        self.take(stamp, position, rgb, (width, height), score);
        let mut released = Vec::new();
        while self.held.len() > self.delay {
            if let Some(frame) = self.release_front() {
                released.push(frame);
            }
        }
        released
    }

    /// One frame, already scored against the one before, through the dissolve detector and
    /// the merge rule into `held`.
    fn take(
        &mut self,
        stamp: T,
        position: u64,
        rgb: &[u8],
        (width, height): (u32, u32),
        score: f32,
    ) {
        let hard_cut = score >= self.hard_cuts.threshold();
        let dissolve = self.dissolves.push(rgb, width, height, position, hard_cut);
        let merge_cut = self.filter.observe(position, hard_cut);
        self.last_position = Some(position);
        self.held.push_back(HeldFrame {
            position,
            stamp,
            hard_cut,
            dissolve: false,
            merge_cut: false,
        });
        if let Some(middle) = dissolve {
            self.mark_nearest(middle, |frame| frame.dissolve = true);
        }
        if let Some(cut) = merge_cut
            && let Some(offset) = self.held.iter().position(|held| held.position == cut)
        {
            self.mark(self.front_index + offset as u64, |frame| {
                frame.merge_cut = true;
            });
        }
    }

    /// After the last frame: every frame still held.
    pub(crate) fn finish(&mut self) -> Vec<JudgedFrame<T>> {
        if let Some(middle) = self.dissolves.finish() {
            self.mark_nearest(middle, |frame| frame.dissolve = true);
        }
        let mut released = Vec::with_capacity(self.held.len());
        while let Some(frame) = self.release_front() {
            released.push(frame);
        }
        released
    }

    fn release_front(&mut self) -> Option<JudgedFrame<T>> {
        let frame = self.held.pop_front()?;
        self.front_index += 1;
        let boundary = self.filter.decide(&frame);
        Some(JudgedFrame {
            stamp: frame.stamp,
            boundary,
        })
    }

    /// Applies `set` to the held frame whose position is nearest `position` (a dissolve's
    /// middle may fall on a skipped frame), if `position` is not before every held frame.
    fn mark_nearest(&mut self, position: u64, set: impl FnOnce(&mut HeldFrame<T>)) {
        let nearest = self
            .held
            .iter_mut()
            .min_by_key(|frame| frame.position.abs_diff(position));
        match nearest {
            Some(frame) if frame.position + 1 >= position => set(frame),
            _ => tracing::debug!(position, "boundary frame already released"),
        }
    }

    /// Applies `set` to the held frame pushed as `index` (0-based push order), if held.
    fn mark(&mut self, index: u64, set: impl FnOnce(&mut HeldFrame<T>)) {
        let held = index
            .checked_sub(self.front_index)
            .and_then(|offset| self.held.get_mut(offset as usize));
        match held {
            Some(frame) => set(frame),
            None => tracing::debug!(index, "boundary frame already released"),
        }
    }
}

/// The one rule for which found cuts and dissolves become shot boundaries, counted in frame
/// positions (frames the decoder skipped count too). A cut or dissolve at least `length`
/// frames after the previous boundary is one: a cluster of cuts closer than that keeps its
/// *first*. PySceneDetect's merge rule ([`MergeFilter`], replayed beside it on the same
/// frames) sometimes keeps a cluster's *last* cut instead; that cut is a boundary too unless
/// it is within a frame of the previous one, so every cut PySceneDetect reports is one of
/// ours and a real cut it merges away is not lost.
struct BoundaryFilter {
    length: u64,
    merge: MergeFilter,
    /// Position of the latest boundary (or of the first frame: the start of the first shot).
    last_boundary: Option<u64>,
}

impl BoundaryFilter {
    fn new(length: u64) -> BoundaryFilter {
        BoundaryFilter {
            length,
            merge: MergeFilter::new(length),
            last_boundary: None,
        }
    }

    /// Every frame as it is decoded: whether it is a hard cut. Returns the position of a cut
    /// PySceneDetect's merge rule reports now (at or before `position`; still held).
    fn observe(&mut self, position: u64, hard_cut: bool) -> Option<u64> {
        self.merge.push(position, hard_cut)
    }

    /// Every frame once final, in order: the boundary it starts, if any.
    fn decide<T>(&mut self, frame: &HeldFrame<T>) -> Option<Boundary> {
        let Some(last) = self.last_boundary else {
            self.last_boundary = Some(frame.position);
            return None;
        };
        let since = frame.position.saturating_sub(last);
        let long_enough = since >= self.length.max(1);
        let boundary = if long_enough && frame.hard_cut {
            Some(Boundary::Cut)
        } else if long_enough && frame.dissolve {
            Some(Boundary::Dissolve)
        } else if frame.merge_cut && since >= 2 {
            // Not within a frame of the previous boundary (two cuts in a row are one).
            Some(Boundary::MergedCut)
        } else {
            None
        };
        if boundary.is_some() {
            self.last_boundary = Some(frame.position);
        }
        boundary
    }
}

/// PySceneDetect's `FlashFilter` in its default MERGE mode (0.7), replayed on frame
/// positions so that every cut it reports is one of ours. A cut closer than `length` frames
/// to the previous above-threshold frame starts a merge; the merge ends once `length` frames
/// pass below the threshold and reports the *last* above-threshold frame. A merge that
/// starts on a single frame (two cuts in a row) only ends at a later cluster of cuts, so
/// PySceneDetect then reports that cluster's last cut, not its first (the bench reel's
/// 132.64 s: Megamind's own cut 11 frames after the cut into it). [`BoundaryFilter`] keeps
/// a cluster's first cut and this one.
struct MergeFilter {
    length: u64,
    last_above: Option<u64>,
    /// Merging only starts once a cut was reported.
    merge_enabled: bool,
    /// Position where the running merge started.
    merge_start: Option<u64>,
}

impl MergeFilter {
    fn new(length: u64) -> MergeFilter {
        MergeFilter {
            length,
            last_above: None,
            merge_enabled: false,
            merge_start: None,
        }
    }

    /// Takes the frame at `position` (increasing) and whether its score reached the
    /// threshold; returns the position of a cut PySceneDetect reports now (at or before
    /// `position`).
    fn push(&mut self, position: u64, above: bool) -> Option<u64> {
        if self.length == 0 {
            return above.then_some(position);
        }
        let last_above = *self.last_above.get_or_insert(position);
        let length_met = position.saturating_sub(last_above) >= self.length;
        if above {
            self.last_above = Some(position);
        }
        if let Some(start) = self.merge_start {
            let last = self.last_above.unwrap_or(position);
            if length_met && !above && last.saturating_sub(start) >= self.length {
                self.merge_start = None;
                return Some(last);
            }
            return None;
        }
        if !above {
            return None;
        }
        if length_met {
            self.merge_enabled = true;
            return Some(position);
        }
        if self.merge_enabled {
            self.merge_start = Some(position);
        }
        None
    }
}

/// Finds dissolves: a frame in the middle of a cross-fade between two shots is the mean of
/// the frames `reach` positions before and `reach` after it (weighed by where it sits between
/// them when the decoder skipped frames), while those two differ a lot. Camera and
/// subject motion fail the test (the mean of two displaced pictures is a double exposure,
/// not the picture in between), and so does a fade to or from black or a change of
/// exposure (the later picture is the earlier one scaled: no new content). Works on RGB
/// frames averaged down by 2 in each direction, with a delay: a boundary is reported at the
/// middle position of the run of blended frames once the run ends.
pub(crate) struct DissolveDetector {
    /// Frame positions between the middle frame and each end of the window.
    reach: u64,
    /// Longest run of blended middles (in frame positions) taken for one dissolve; longer is
    /// a slow change.
    longest_run: u64,
    /// The frames of the last `2 * reach` positions (and the latest one at or before its
    /// start): reduced pictures, positions, and whether each arrived with a hard cut.
    window: VecDeque<WindowFrame>,
    /// First and last middle position of the current run of blended frames.
    run: Option<(u64, u64)>,
}

/// A frame in [`DissolveDetector`]'s window.
struct WindowFrame {
    reduced: Vec<u8>,
    position: u64,
    hard_cut: bool,
}

/// Mean absolute RGB difference (0-255) between the two ends of the window below which
/// there is not enough change to call a dissolve.
const DISSOLVE_MIN_CHANGE: f32 = 18.0;
/// How far the middle frame may stray from the mean of the ends, as a share of the change
/// between the ends. Measured: 0.32-0.33 inside ffmpeg's `xfade=dissolve` (a dithered
/// dissolve) of vtest into Megamind, 0.49 and more for the Megamind trailer's motion.
const DISSOLVE_MAX_BLEND_ERROR: f32 = 0.4;
/// How much of the change between the ends a brightness scaling may explain before the
/// stretch counts as a fade or an exposure change rather than new content.
const FADE_EXPLAINED_SHARE: f32 = 0.6;

impl DissolveDetector {
    /// For video at `frame_rate`: a window of about ±0.24 s.
    pub(crate) fn new(frame_rate: f64) -> DissolveDetector {
        let reach = (frame_rate * 0.24).round().clamp(2.0, 12.0) as u64;
        let longest_run = (frame_rate * 2.0).round().max(4.0) as u64;
        DissolveDetector {
            reach,
            longest_run,
            window: VecDeque::with_capacity(2 * reach as usize + 2),
            run: None,
        }
    }

    /// Frames a caller must hold back so that every boundary this detector reports is still
    /// among them (positions advance at least one per frame, so frames are enough).
    pub(crate) fn delay(&self) -> usize {
        (self.reach + self.longest_run / 2 + 2) as usize
    }

    /// Takes the next RGB frame, its position on the frame grid (frames the decoder skipped
    /// leave gaps) and whether the hard-cut score fired on it; returns the position of a
    /// dissolve's middle when one just ended.
    pub(crate) fn push(
        &mut self,
        rgb: &[u8],
        width: u32,
        height: u32,
        position: u64,
        hard_cut: bool,
    ) -> Option<u64> {
        let reduced = halve(rgb, width as usize, height as usize);
        self.window.push_back(WindowFrame {
            reduced,
            position,
            hard_cut,
        });
        let start = position.checked_sub(2 * self.reach);
        // Keep the latest frame at or before the window's start as its first.
        while let (Some(start), Some(second)) = (start, self.window.get(1))
            && second.position <= start
        {
            self.window.pop_front();
        }
        let full = matches!(
            (start, self.window.front()),
            (Some(start), Some(first)) if first.position <= start
        );
        if !full {
            return None;
        }
        match self.blend_middle() {
            Some(middle) => {
                self.run = Some(match self.run {
                    Some((first, _)) => (first, middle),
                    None => (middle, middle),
                });
                None
            }
            None => self.end_run(),
        }
    }

    /// Whether the latest middle frame was a blend of its window's ends (a dissolve may be
    /// running).
    pub(crate) fn in_blend(&self) -> bool {
        self.run.is_some()
    }

    /// Call after the last frame: a dissolve still running ends here.
    pub(crate) fn finish(&mut self) -> Option<u64> {
        self.end_run()
    }

    fn end_run(&mut self) -> Option<u64> {
        let (first, last) = self.run.take()?;
        let length = last - first + 1;
        (length <= self.longest_run).then_some(first + (last - first) / 2)
    }

    /// The position of the window's middle frame when it is a blend of the window's ends,
    /// weighted by where it sits between them (halfway on a full-rate decode).
    fn blend_middle(&self) -> Option<u64> {
        // A hard cut inside the window is the cut detector's business.
        if self.window.iter().skip(1).any(|frame| frame.hard_cut) {
            return None;
        }
        let (first, last) = (self.window.front()?, self.window.back()?);
        let span = last.position.checked_sub(first.position)?;
        let centre = first.position as f64 + span as f64 / 2.0;
        let middle = self
            .window
            .iter()
            .skip(1)
            .take(self.window.len().saturating_sub(2))
            .min_by(|a, b| {
                (a.position as f64 - centre)
                    .abs()
                    .total_cmp(&(b.position as f64 - centre).abs())
            })?;
        let (before, after) = (&first.reduced, &last.reduced);
        let share = (middle.position - first.position) as f32 / span as f32;
        is_blend(before, &middle.reduced, after, share).then_some(middle.position)
    }
}

/// Whether `middle` is the blend of `before` and `after` with `after` weighing `share` (0-1):
/// a cross-fade, not motion, a fade or an exposure change.
fn is_blend(before: &[u8], middle: &[u8], after: &[u8], share: f32) -> bool {
    if before.len() != after.len() || middle.len() != after.len() || after.is_empty() {
        return false;
    }
    let count = after.len() as f32;
    let mut change = 0u64;
    let mut blend_error = 0.0f32;
    let (mut before_energy, mut cross) = (0u64, 0u64);
    for ((&b, &m), &a) in before.iter().zip(middle).zip(after) {
        change += u64::from(a.abs_diff(b));
        let expected = f32::from(b) + share * (f32::from(a) - f32::from(b));
        blend_error += (f32::from(m) - expected).abs();
        let (b, a) = (u32::from(b), u32::from(a));
        before_energy += u64::from(b * b);
        cross += u64::from(a * b);
    }
    let change = change as f32 / count;
    let blend_error = blend_error / count;
    if change < DISSOLVE_MIN_CHANGE || blend_error > DISSOLVE_MAX_BLEND_ERROR * change {
        return false;
    }
    // A fade or an exposure change: the later picture is the earlier one scaled.
    let gain = if before_energy == 0 {
        0.0
    } else {
        cross as f32 / before_energy as f32
    };
    let unexplained = before
        .iter()
        .zip(after)
        .map(|(&b, &a)| (f32::from(a) - gain * f32::from(b)).abs())
        .sum::<f32>()
        / count;
    unexplained > (1.0 - FADE_EXPLAINED_SHARE) * change
}

/// RGB frame averaged over 2x2 blocks (odd edges dropped).
fn halve(rgb: &[u8], width: usize, height: usize) -> Vec<u8> {
    let (half_w, half_h) = ((width / 2).max(1), (height / 2).max(1));
    if rgb.len() < width * height * 3 || width < 2 || height < 2 {
        return rgb.to_vec();
    }
    let mut out = Vec::with_capacity(half_w * half_h * 3);
    for y in 0..half_h {
        let top = &rgb[2 * y * width * 3..(2 * y + 1) * width * 3];
        let bottom = &rgb[(2 * y + 1) * width * 3..(2 * y + 2) * width * 3];
        for x in 0..half_w {
            for channel in 0..3 {
                let left = 2 * x * 3 + channel;
                let right = left + 3;
                let sum = u16::from(top[left])
                    + u16::from(top[right])
                    + u16::from(bottom[left])
                    + u16::from(bottom[right]);
                out.push(((sum + 2) / 4) as u8);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsv_matches_opencv_for_primaries() {
        assert_eq!(rgb_to_hsv([255, 0, 0]), [0, 255, 255]);
        assert_eq!(rgb_to_hsv([0, 255, 0]), [60, 255, 255]);
        assert_eq!(rgb_to_hsv([0, 0, 255]), [120, 255, 255]);
        assert_eq!(rgb_to_hsv([128, 128, 128]), [0, 0, 128]);
    }

    /// The bench reel's frames 3164/3165 (two cuts in a row), then 3305 and 3316 (a cut and
    /// Megamind's own cut 11 frames later): PySceneDetect reports 3164 and 3316 (offsets from
    /// 3100 here), and the same on every other frame when the decoder skips the rest.
    #[test]
    fn merge_filter_reports_what_pyscenedetect_reports() {
        let above = [64, 65, 205, 216];
        let mut filter = MergeFilter::new(15);
        let reported: Vec<u64> = (0..300)
            .filter_map(|position| filter.push(position, above.contains(&position)))
            .collect();
        assert_eq!(reported, vec![64, 216]);
        let above = [64, 66, 204, 216];
        let mut filter = MergeFilter::new(15);
        let reported: Vec<u64> = (0..150)
            .map(|step| step * 2)
            .filter_map(|position| filter.push(position, above.contains(&position)))
            .collect();
        assert_eq!(reported, vec![64, 216]);
    }

    /// The merged-cut case through the one filter: the first cut of each cluster (frames 64
    /// and 205) and the last cut PySceneDetect's merge rule reports (216, closer than the
    /// minimum shot length to 205) are boundaries; 65, one frame after 64, is not.
    #[test]
    fn boundary_filter_keeps_a_clusters_first_cut_and_pyscenedetects_last() {
        // Each change scores far above 27 (hue, saturation and value all move).
        let colours: [[u8; 3]; 5] = [
            [200, 30, 30],
            [30, 30, 120],
            [240, 240, 240],
            [30, 120, 30],
            [200, 30, 30],
        ];
        let changes = [64u64, 65, 205, 216];
        let mut finder = BoundaryFinder::new(27.0, 25.0, 0.6);
        let mut boundaries = Vec::new();
        let mut collect = |frames: Vec<JudgedFrame<u64>>| {
            for frame in frames {
                if let Some(boundary) = frame.boundary {
                    boundaries.push((frame.stamp, boundary));
                }
            }
        };
        for position in 0..300u64 {
            let scene = changes.iter().filter(|&&at| at <= position).count();
            let frame = colours[scene].repeat(64 * 48);
            collect(finder.push(position, position, &frame, (64, 48), &mut |_, _| Vec::new()));
        }
        collect(finder.finish());
        assert_eq!(
            boundaries,
            vec![
                (64, Boundary::Cut),
                (205, Boundary::Cut),
                (216, Boundary::MergedCut)
            ]
        );
    }

    /// Cut boundaries when every third position is decoded and the cut falls on a skipped
    /// frame (50, between 48 and 51), with `fill_gap` answering `gap` for the gap it asks for.
    fn cuts_with_skipped_cut_frame(gap: &[u64]) -> (Vec<u64>, Vec<(u64, u64)>) {
        let picture = |position: u64| {
            let colour: [u8; 3] = if position < 50 {
                [200, 30, 30]
            } else {
                [30, 30, 120]
            };
            colour.repeat(64 * 48)
        };
        let mut finder = BoundaryFinder::new(27.0, 25.0, 0.6);
        let mut asked = Vec::new();
        let mut boundaries = Vec::new();
        let mut collect = |frames: Vec<JudgedFrame<u64>>| {
            boundaries.extend(
                frames
                    .into_iter()
                    .filter(|f| f.boundary.is_some())
                    .map(|f| f.stamp),
            );
        };
        for position in (0..120u64).step_by(3) {
            let mut fill_gap = |previous: u64, next: u64| {
                asked.push((previous, next));
                gap.iter()
                    .map(|&position| GapFrame {
                        stamp: position,
                        position,
                        rgb: picture(position),
                    })
                    .collect()
            };
            collect(finder.push(
                position,
                position,
                &picture(position),
                (64, 48),
                &mut fill_gap,
            ));
        }
        collect(finder.finish());
        (boundaries, asked)
    }

    #[test]
    fn a_cut_on_a_skipped_frame_lands_on_it_when_the_gap_is_decoded_again() {
        // Frames outside the gap, repeated or out of order are not taken.
        let (cuts, asked) = cuts_with_skipped_cut_frame(&[47, 49, 50, 50, 49, 51]);
        assert_eq!(
            asked,
            vec![(48, 51)],
            "only the gap before the cut is asked for"
        );
        assert_eq!(cuts, vec![50]);
        // A gap that cannot be decoded again leaves the cut where it was found.
        let (cuts, _) = cuts_with_skipped_cut_frame(&[]);
        assert_eq!(cuts, vec![51]);
    }

    #[test]
    fn detector_scores_a_colour_change_high_and_a_repeat_zero() {
        let mut detector = ShotDetector::new(27.0);
        let red: Vec<u8> = [255u8, 0, 0].repeat(64 * 48);
        let blue: Vec<u8> = [0u8, 0, 255].repeat(64 * 48);
        assert_eq!(detector.push(&red, 64, 48), 0.0);
        assert_eq!(detector.push(&red, 64, 48), 0.0);
        assert!(detector.push(&blue, 64, 48) > detector.threshold());
    }
}
