//! How a browser plays an asset: natively from `/media/{id}` when its container and codecs
//! are ones browsers play, else from the server's H.264/AAC proxy `/media/{id}/proxy`, with
//! the reason for the player's notice. Decided from the index's probe facts alone.

use rushes_core::{Asset, AssetKind, MediaInfo};
use serde::Serialize;

/// How the UI should play an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Playback {
    /// True when the original file plays in a browser as it is.
    pub native: bool,
    /// Where to fetch playable media: `/media/{id}` or `/media/{id}/proxy`.
    pub url: String,
    /// Why a proxy is needed, for the notice in the player.
    pub reason: Option<String>,
}

const PLAYABLE_VIDEO_CODECS: &[&str] = &["h264", "vp8", "vp9", "av1"];
const PLAYABLE_AUDIO_CODECS: &[&str] = &["aac", "mp3", "opus", "vorbis", "flac"];
const PLAYABLE_VIDEO_CONTAINERS: &[&str] = &["mp4", "mov", "webm"];
const PLAYABLE_AUDIO_CONTAINERS: &[&str] = &["mp3", "mp4", "mov", "webm", "ogg", "flac", "wav"];

/// Decides from probe facts whether a browser plays the file natively, and if not, why.
pub fn playback_for(asset: &Asset) -> Playback {
    let reason = unplayable_reason(asset.kind, &asset.media);
    let url = if reason.is_some() {
        format!("/media/{}/proxy", asset.id)
    } else {
        format!("/media/{}", asset.id)
    };
    Playback {
        native: reason.is_none(),
        url,
        reason,
    }
}

fn container_is_one_of(container: &str, allowed: &[&str]) -> bool {
    container
        .split(',')
        .any(|name| allowed.contains(&name.trim()))
}

fn unplayable_reason(kind: AssetKind, media: &MediaInfo) -> Option<String> {
    let container = media.container.as_deref().unwrap_or("unknown");
    match kind {
        AssetKind::Image => None,
        AssetKind::Video => {
            let codec = media.video_codec.as_deref().unwrap_or("unknown");
            if !PLAYABLE_VIDEO_CODECS.contains(&codec) {
                return Some(format!("browsers cannot play {codec} video"));
            }
            if !container_is_one_of(container, PLAYABLE_VIDEO_CONTAINERS) {
                return Some(format!("browsers cannot open {container} files"));
            }
            match media.audio_codec.as_deref() {
                Some(audio) if !PLAYABLE_AUDIO_CODECS.contains(&audio) => {
                    Some(format!("browsers cannot play {audio} audio"))
                }
                _ => None,
            }
        }
        AssetKind::Audio => {
            let codec = media.audio_codec.as_deref().unwrap_or("unknown");
            let pcm_in_wav = codec.starts_with("pcm_") && container_is_one_of(container, &["wav"]);
            if !pcm_in_wav && !PLAYABLE_AUDIO_CODECS.contains(&codec) {
                return Some(format!("browsers cannot play {codec} audio"));
            }
            if !container_is_one_of(container, PLAYABLE_AUDIO_CONTAINERS) {
                return Some(format!("browsers cannot open {container} files"));
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rushes_core::AssetId;

    fn asset(kind: AssetKind, container: &str, video: Option<&str>, audio: Option<&str>) -> Asset {
        Asset {
            id: AssetId::from_path(std::path::Path::new("/footage/x")),
            path: "/footage/x".into(),
            kind,
            size: 1,
            mtime: 0,
            content_hash: "abc".into(),
            media: MediaInfo {
                container: Some(container.into()),
                video_codec: video.map(str::to_string),
                audio_codec: audio.map(str::to_string),
                ..MediaInfo::default()
            },
        }
    }

    #[test]
    fn h264_mp4_plays_natively_and_avi_or_prores_needs_a_proxy() {
        let mp4 = asset(
            AssetKind::Video,
            "mov,mp4,m4a,3gp,3g2,mj2",
            Some("h264"),
            Some("aac"),
        );
        assert!(playback_for(&mp4).native);
        assert_eq!(playback_for(&mp4).url, format!("/media/{}", mp4.id));
        let webm = asset(AssetKind::Video, "matroska,webm", Some("vp9"), Some("opus"));
        assert!(playback_for(&webm).native);
        for (container, codec) in [
            ("avi", "mpeg4"),
            ("avi", "mjpeg"),
            ("mov,mp4,m4a,3gp,3g2,mj2", "prores"),
            ("mxf", "h264"),
        ] {
            let file = asset(AssetKind::Video, container, Some(codec), None);
            let playback = playback_for(&file);
            assert!(!playback.native, "{container} {codec}");
            assert!(playback.url.ends_with("/proxy"));
            assert!(playback.reason.is_some());
        }
        let pcm_mov = asset(
            AssetKind::Video,
            "mov,mp4,m4a,3gp,3g2,mj2",
            Some("h264"),
            Some("pcm_s24le"),
        );
        assert!(!playback_for(&pcm_mov).native);
    }

    #[test]
    fn wav_and_mp3_play_but_aiff_does_not() {
        assert!(playback_for(&asset(AssetKind::Audio, "wav", None, Some("pcm_s16le"))).native);
        assert!(playback_for(&asset(AssetKind::Audio, "mp3", None, Some("mp3"))).native);
        assert!(!playback_for(&asset(AssetKind::Audio, "aiff", None, Some("pcm_s16be"))).native);
    }
}
