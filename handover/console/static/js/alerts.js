// Getting an agent's attention when a conversation is offered: a browser notification and a short
// chime made with WebAudio (no sound file), both working while the tab is in the background.

let audio = null;

/** Asks for what needs a click first: notification permission and a running audio context. */
export function prepareAlerts() {
  try {
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().catch(() => {});
    }
  } catch {
    // an old browser without the promise form: no notifications, the sound still plays
  }
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

/** Two short tones, about a third of a second. */
export function chime() {
  if (!audio) return;
  const start = audio.currentTime + 0.01;
  [880, 1320].forEach((frequency, index) => {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + index * 0.16);
    gain.gain.exponentialRampToValueAtTime(0.2, start + index * 0.16 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + index * 0.16 + 0.15);
    tone.connect(gain).connect(audio.destination);
    tone.start(start + index * 0.16);
    tone.stop(start + index * 0.16 + 0.16);
  });
}

/** A system notification (when allowed); clicking it brings the console forward and calls `onClick`. */
export function notify(title, body, tag, onClick) {
  if (!("Notification" in window) || Notification.permission !== "granted") return null;
  try {
    const notification = new Notification(title, { body, tag, renotify: true });
    notification.addEventListener("click", () => {
      window.focus();
      notification.close();
      if (onClick) onClick();
    });
    return notification;
  } catch {
    return null;
  }
}
