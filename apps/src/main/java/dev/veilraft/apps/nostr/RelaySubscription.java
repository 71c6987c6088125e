package dev.veilraft.apps.nostr;

import java.util.ArrayList;
import java.util.List;

/**
 * One REQ of one connection: its filters, and while its stored events load, the live events held
 * for after EOSE (as {id, canonical JSON} pairs). Guarded by its connection's lock.
 */
final class RelaySubscription {
  final String id;
  final List<Filter> filters;
  /** Live events held while stored events load; null once the subscription is live. */
  List<String[]> held = new ArrayList<>();

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
