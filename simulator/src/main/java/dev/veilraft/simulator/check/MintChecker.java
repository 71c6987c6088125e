package dev.veilraft.simulator.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.CashuBdhke;
import dev.veilraft.simulator.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Judges a mint workload's history (the {@code f} values of the simulator README's mint table):
 * <ul>
 *   <li>{@code mint-dleq}: every signature of every acknowledged mint and swap carries a NUT-12
 *       DLEQ proof that verifies against the keyset the history recorded, for a {@code B_} the
 *       operation asked for;
 *   <li>{@code mint-spent-once}: no proof (Y) is an input of two acknowledged spends (swaps, and
 *       melts the mint did not report UNPAID);
 *   <li>{@code mint-books}: every node's accounting answer balances ({@code minted = melted +
 *       outstanding + fees}) and all agree; {@code minted}, {@code melted} and {@code outstanding}
 *       lie within what the history allows (acknowledged operations at least, plus indeterminate
 *       ones at most); fees are at least the input fees of acknowledged operations; every proof a
 *       wallet still holds is UNSPENT on every node, and the nodes agree on every proof's state.
 * </ul>
 */
public final class MintChecker {
  /** The replicated mint's app name (its accounting query goes to this app). */
  public static final String APP = "cashu";
  public static final String DLEQ = "mint-dleq";
  public static final String SPENT_ONCE = "mint-spent-once";
  public static final String BOOKS = "mint-books";

  public List<Verdict> check(List<Operation> operations) {
    return List.of(dleq(operations), spentOnce(operations), books(operations));
  }

  private static Map<Long, byte[]> keys(List<Operation> ops) {
    for (Operation op : ops) {
      if (op.f().equals("keys") && op.ok() && op.result() != null) {
        Map<Long, byte[]> keys = new HashMap<>();
        op.result().path("keys").fields().forEachRemaining(e -> keys.put(Long.parseLong(e.getKey()),
            Hashes.unhex(e.getValue().asText())));
        return keys;
      }
    }
    return null;
  }

  private static boolean signing(Operation op) {
    return op.f().equals("mint") || op.f().equals("swap");
  }

  static Verdict dleq(List<Operation> ops) {
    Map<Long, byte[]> keys = keys(ops);
    int verified = 0;
    for (Operation op : ops) {
      if (!signing(op) || !op.ok()) {
        continue;
      }
      if (keys == null) {
        return Verdict.fail(DLEQ, Verdict.Kind.SAFETY, "op #" + op.id() + " (" + op.f() + ") was acknowledged but the "
            + "history holds no keys to verify its signatures");
      }
      JsonNode result = op.result();
      if (result == null || result.has("malformed")) {
        return Verdict.fail(DLEQ, Verdict.Kind.SAFETY, "op #" + op.id() + " (" + op.f() + " via " + op.node()
            + ") was acknowledged with an unusable answer: " + (result == null ? "none" : result.path("malformed").asText()));
      }
      Set<String> asked = new HashSet<>();
      op.argument().path("outputs").forEach(o -> asked.add(o.path("amount").asLong() + ":" + o.path("B_").asText()));
      JsonNode signatures = result.path("signatures");
      if (signatures.size() != asked.size()) {
        return Verdict.fail(DLEQ, Verdict.Kind.SAFETY, "op #" + op.id() + " (" + op.f() + "): " + signatures.size()
            + " signatures for " + asked.size() + " outputs");
      }
      for (JsonNode s : signatures) {
        long amount = s.path("amount").asLong();
        byte[] k = keys.get(amount);
        String why = null;
        if (!asked.contains(amount + ":" + s.path("B_").asText())) {
          why = "signs a B_ of amount " + amount + " the operation did not ask for";
        } else if (k == null) {
          why = "amount " + amount + " has no key in the recorded keyset";
        } else if (!verifies(k, s)) {
          why = "the DLEQ proof of the signature of amount " + amount + " does not verify";
        }
        if (why != null) {
          return Verdict.fail(DLEQ, Verdict.Kind.SAFETY, "op #" + op.id() + " (" + op.f() + " via " + op.node() + "): "
              + why);
        }
        verified++;
      }
    }
    return Verdict.pass(DLEQ, Verdict.Kind.SAFETY, verified + " signatures with valid DLEQ proofs");
  }

  private static boolean verifies(byte[] k, JsonNode s) {
    try {
      return CashuBdhke.verifyDleq(k, Hashes.unhex(s.path("B_").asText()), Hashes.unhex(s.path("C_").asText()),
          new CashuBdhke.Dleq(Hashes.unhex(s.path("e").asText()), Hashes.unhex(s.path("s").asText())));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether an acknowledged op spent its inputs: a swap, or a melt the mint did not answer UNPAID. */
  private static boolean spent(Operation op) {
    return op.ok() && (op.f().equals("swap")
        || (op.f().equals("melt") && !"UNPAID".equals(op.result().path("state").asText())));
  }

  static Verdict spentOnce(List<Operation> ops) {
    Map<String, Operation> spender = new HashMap<>();
    Map<String, int[]> contests = new LinkedHashMap<>();
    for (Operation op : ops) {
      if (op.f().equals("swap") && op.argument().path("contested").asBoolean(false)) {
        int[] tally = contests.computeIfAbsent(inputKey(op), k -> new int[2]);
        tally[0]++;
        tally[1] += op.ok() ? 1 : 0;
      }
      if (!spent(op)) {
        continue;
      }
      for (JsonNode input : op.argument().path("inputs")) {
        String y = input.path("Y").asText();
        Operation earlier = spender.putIfAbsent(y, op);
        if (earlier != null) {
          return Verdict.fail(SPENT_ONCE, Verdict.Kind.SAFETY, "proof Y=" + y + " spent twice: op #" + earlier.id()
              + " (" + earlier.f() + " via " + earlier.node() + ") and op #" + op.id() + " (" + op.f() + " via "
              + op.node() + ")");
        }
      }
    }
    long won = contests.values().stream().filter(t -> t[1] == 1).count();
    return Verdict.pass(SPENT_ONCE, Verdict.Kind.SAFETY, spender.size() + " proofs spent once each; "
        + contests.size() + " double-spend attempts through two nodes, " + won + " won by exactly one side");
  }

  private static String inputKey(Operation op) {
    List<String> ys = new ArrayList<>();
    op.argument().path("inputs").forEach(i -> ys.add(i.path("Y").asText()));
    ys.sort(null);
    return String.join(",", ys);
  }

  private static long outputs(Operation op) {
    long total = 0;
    for (JsonNode o : op.argument().path("outputs")) {
      total += o.path("amount").asLong();
    }
    return total;
  }

  private static long inputs(Operation op) {
    long total = 0;
    for (JsonNode i : op.argument().path("inputs")) {
      total += i.path("amount").asLong();
    }
    return total;
  }

  static Verdict books(List<Operation> ops) {
    long mintedOk = 0;
    long mintedOpen = 0;
    long unreceived = 0;
    long feesOk = 0;
    Map<String, Operation> melts = new LinkedHashMap<>();
    Map<String, String> meltState = new HashMap<>();
    List<JsonNode> accounts = new ArrayList<>();
    List<String> accountNodes = new ArrayList<>();
    Map<String, String> stateOf = new HashMap<>();
    Map<String, Long> amountOf = new HashMap<>();
    Set<String> held = new HashSet<>();
    for (Operation op : ops) {
      switch (op.f()) {
        case "mint" -> {
          long amount = op.argument().path("amount").asLong();
          mintedOk += op.ok() ? amount : 0;
          mintedOpen += op.indeterminate() ? amount : 0;
          unreceived += op.indeterminate() ? outputs(op) : 0;
        }
        case "swap" -> {
          unreceived += op.indeterminate() ? outputs(op) : 0;
          feesOk += op.ok() ? inputs(op) - outputs(op) : 0;
        }
        case "melt" -> {
          melts.put(op.key(), op);
          if (op.ok()) {
            meltState.put(op.key(), op.result().path("state").asText());
          }
        }
        case "melt-state" -> {
          if (op.ok()) {
            meltState.put(op.key(), op.result().path("state").asText());
          }
        }
        case "accounting" -> {
          if (op.ok()) {
            accounts.add(op.result());
            accountNodes.add(op.node());
          }
        }
        case "checkstate" -> {
          if (!op.ok()) {
            continue;
          }
          JsonNode asked = op.argument().path("proofs");
          JsonNode states = op.result().path("states");
          for (int i = 0; i < asked.size(); i++) {
            String y = asked.get(i).path("Y").asText();
            String state = states.path(i).path("state").asText();
            amountOf.put(y, asked.get(i).path("amount").asLong());
            if (asked.get(i).path("held").asBoolean()) {
              held.add(y);
              if (!"UNSPENT".equals(state)) {
                return Verdict.fail(BOOKS, Verdict.Kind.SAFETY, "proof Y=" + y + " that a wallet still holds (never "
                    + "sent anywhere) is " + state + " on " + op.node());
              }
            }
            String other = stateOf.putIfAbsent(y, state);
            if (other != null && !other.equals(state)) {
              return Verdict.fail(BOOKS, Verdict.Kind.SAFETY, "nodes disagree on proof Y=" + y + ": " + other
                  + " and " + state + " (" + op.node() + ")");
            }
          }
        }
        default -> { }
      }
    }
    if (accounts.isEmpty()) {
      return Verdict.fail(BOOKS, Verdict.Kind.SAFETY, "no node answered the accounting query");
    }
    long meltedOk = 0;
    long meltedMax = 0;
    for (Operation melt : melts.values()) {
      String state = meltState.get(melt.key());
      long amount = melt.argument().path("amount").asLong();
      long reserve = melt.argument().path("fee_reserve").asLong();
      if ("PAID".equals(state)) {
        meltedOk += amount;
        feesOk += inputs(melt) - amount - reserve;
      }
      if (!melt.failed() && !"UNPAID".equals(state)) {
        meltedMax += amount + reserve;
      }
    }
    long knownUnspent = 0;
    for (Map.Entry<String, String> e : stateOf.entrySet()) {
      if (!"SPENT".equals(e.getValue())) {
        knownUnspent += amountOf.get(e.getKey());
      }
    }
    JsonNode first = accounts.get(0);
    for (int i = 0; i < accounts.size(); i++) {
      JsonNode a = accounts.get(i);
      if (!a.path("balanced").asBoolean(false)) {
        return Verdict.fail(BOOKS, Verdict.Kind.SAFETY, accountNodes.get(i) + "'s books do not balance: " + a);
      }
      if (!a.equals(first)) {
        return Verdict.fail(BOOKS, Verdict.Kind.SAFETY, "the books differ between " + accountNodes.get(0) + " (" + first
            + ") and " + accountNodes.get(i) + " (" + a + ")");
      }
    }
    long minted = first.path("minted").asLong();
    long melted = first.path("melted").asLong();
    long outstanding = first.path("outstanding").asLong();
    long fees = first.path("fees_kept").asLong();
    String bad = outside("minted", minted, mintedOk, mintedOk + mintedOpen)
        + outside("melted", melted, meltedOk, meltedMax)
        + outside("outstanding", outstanding, knownUnspent, knownUnspent + unreceived)
        + (fees < feesOk ? "fees_kept " + fees + " is below the " + feesOk + " of acknowledged operations; " : "");
    if (!bad.isEmpty()) {
      return Verdict.fail(BOOKS, Verdict.Kind.SAFETY, bad + "books " + first);
    }
    return Verdict.pass(BOOKS, Verdict.Kind.SAFETY, String.format(java.util.Locale.ROOT, "books balance on %d nodes: "
        + "minted %d = melted %d + outstanding %d + fees %d; %d proofs checked (%d held, all unspent)", accounts.size(),
        minted, melted, outstanding, fees, stateOf.size(), held.size()));
  }

  private static String outside(String what, long value, long min, long max) {
    return value >= min && value <= max ? "" : what + " " + value + " is outside [" + min + ", " + max
        + "] that the history allows; ";
  }
}
