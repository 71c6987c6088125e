package dev.veilraft.simulator.workload;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The registers a key-value run uses: {@link #keysActiveMax} keys at a time; a key retires after
 * {@link #opsPerKeyMax} operations and a fresh one takes its place, so no key's history grows
 * past what the linearizability search decides quickly. Remembers the last value each key was
 * seen with, so compare-and-sets often expect the right value. Thread-safe.
 */
final class KeyPool {
  static final int keysActiveMax = 4;
  static final int opsPerKeyMax = 120;

  private final String prefix;
  private final List<String> active = new ArrayList<>();
  private final Map<String, Integer> uses = new HashMap<>();
  private final Map<String, String> lastKnown = new HashMap<>();
  private final Set<String> all = new LinkedHashSet<>();
  private int next;

  KeyPool(String prefix) {
    this.prefix = prefix;
  }

  synchronized String pick(Random random) {
    while (active.size() < keysActiveMax) {
      String key = prefix + (next++);
      active.add(key);
      all.add(key);
    }
    int index = random.nextInt(active.size());
    String key = active.get(index);
    int n = uses.merge(key, 1, Integer::sum);
    if (n >= opsPerKeyMax) {
      active.remove(index);
    }
    return key;
  }

  synchronized void observed(String key, String value) {
    lastKnown.put(key, value);
  }

  synchronized String lastKnown(String key) {
    return lastKnown.get(key);
  }

  synchronized List<String> all() {
    return List.copyOf(all);
  }
}
