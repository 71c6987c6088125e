package dev.veilraft.apps.nostr;

import java.util.ArrayList;
import java.util.List;

/**
 * One REQ of one connection: its filters, the live events held while its stored events load, and
 * the log index after which live events are new to it. Guarded by its connection's lock.
 */
final class RelaySubscription {
  final String id;
  final List<Filter> filters;
  /** Live events held while stored events load; null once the subscription is live. */
  List<Held> held = new ArrayList<>();
  /**
   * Once live: events committed at or before this log index are not sent live. The stored answer
   * was read with every one of them in effect (so it has them, or they are older than its limit),
   * or the REQ asked for no stored events and they were committed before it. This is what keeps
   * a relay whose fan-out runs behind commits from sending one event twice.
   */
  long sentThrough;

  /** A committed event that matched while stored events loaded: its log index and canonical JSON. */
  record Held(long index, String json) {}

  RelaySubscription(String id, List<Filter> filters) {
    this.id = id;
    this.filters = filters;
  }

  boolean live() {
    return held == null;
  }

  /** Whether any filter matches (filters of one REQ are alternatives). */
  boolean matches(NostrEvent event) {
    for (Filter filter : filters) {
      if (filter.matches(event)) {
        return true;
      }
    }
    return false;
  }
}
