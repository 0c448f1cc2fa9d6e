// The console's one way to build DOM: Preact components written with htm's tagged templates.
// Preact sets text as text nodes, so customer, agent and bot texts can never become markup here;
// never set HTML from strings in the console (tests/handover/console checks the scripts for it).
import { h, render, Fragment, createContext, Component } from "./vendor/preact.mjs";
import { useState, useEffect, useRef, useMemo, useCallback, useReducer, useContext } from "./vendor/hooks.mjs";
import htm from "./vendor/htm.mjs";

export const html = htm.bind(h);
export { h, render, Fragment, createContext, useState, useEffect, useRef, useMemo, useCallback, useReducer, useContext };

// Formatters are made once per language: toLocaleTimeString builds a new Intl.DateTimeFormat on every
// call, and that was the biggest single cost of rendering a transcript (measured, bench/README.md).
const formatters = new Map();

function formatter(kind, language, options) {
  const key = `${kind}|${language || ""}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Intl.DateTimeFormat(language, options);
    formatters.set(key, found);
  }
  return found;
}

/** "14:05" for a Unix time in seconds, in the browser's time zone and the console's language. */
export function clock(seconds, language) {
  if (seconds == null) return "";
  return formatter("clock", language, { hour: "2-digit", minute: "2-digit" }).format(new Date(seconds * 1000));
}

/** "3 May, 14:05" for a Unix time in seconds. */
export function dateTime(seconds, language) {
  if (seconds == null) return "";
  return formatter("dateTime", language, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })
    .format(new Date(seconds * 1000));
}

/** A component that renders again only when a prop changed (compared with ===), like React's memo. */
export function memo(render) {
  class Memoised extends Component {
    shouldComponentUpdate(next) {
      const keys = Object.keys(next);
      return keys.length !== Object.keys(this.props).length || keys.some((key) => next[key] !== this.props[key]);
    }

    render(props) {
      return render(props);
    }
  }
  Memoised.displayName = `memo(${render.name})`;
  return Memoised;
}

/** "1:05" or "-0:12" for a number of seconds. */
export function duration(seconds) {
  const sign = seconds < 0 ? "-" : "";
  const total = Math.floor(Math.abs(seconds));
  const minutes = Math.floor(total / 60);
  const rest = String(total % 60).padStart(2, "0");
  if (minutes >= 60) return `${sign}${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${rest}`;
  return `${sign}${minutes}:${rest}`;
}
