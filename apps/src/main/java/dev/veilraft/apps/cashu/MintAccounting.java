package dev.veilraft.apps.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Check;

/**
 * The mint's books, in sat, updated by every request that moves value:
 * <ul>
 *   <li>{@code minted}: ecash issued against paid mint quotes (the Lightning value that came in);
 *   <li>{@code melted}: what paid melts sent out over Lightning, invoice amounts plus routing fees;
 *   <li>{@code feesKept}: what the mint kept: NUT-02 input fees of swaps and melts, and the part of
 *       a melt's fee reserve that was neither spent on routing nor returned as NUT-08 change;
 *   <li>{@code signed}: the value of every blind signature made (mint, swap outputs, melt change);
 *   <li>{@code spent}: the value of every proof spent (swap inputs, inputs of paid melts);
 *   <li>{@code pending}: the value of proofs locked by melts in flight (not spent, not spendable);
 *   <li>{@code paidUnissued}: paid mint quotes whose ecash is not issued yet (a liability, no ecash).
 * </ul>
 * Outstanding ecash is {@code signed - spent} (pending proofs included: a failed payment returns
 * them). The invariant, checked after every change: {@code minted = melted + outstanding +
 * feesKept}, every counter non-negative, {@code pending <= outstanding}.
 */
public record MintAccounting(long minted, long melted, long feesKept, long signed, long spent, long pending,
    long paidUnissued) {
  public static final MintAccounting ZERO = new MintAccounting(0, 0, 0, 0, 0, 0, 0);

  public long outstanding() {
    return signed - spent;
  }

  /** Whether the books balance. */
  public boolean balanced() {
    return minted >= 0 && melted >= 0 && feesKept >= 0 && signed >= 0 && spent >= 0 && pending >= 0
        && paidUnissued >= 0 && pending <= outstanding() && minted == melted + outstanding() + feesKept;
  }

  /** A mint quote was paid. */
  MintAccounting quotePaid(long amount) {
    return checked(new MintAccounting(minted, melted, feesKept, signed, spent, pending,
        Math.addExact(paidUnissued, amount)));
  }

  /** A paid mint quote's ecash was signed. */
  MintAccounting issued(long amount) {
    return checked(new MintAccounting(Math.addExact(minted, amount), melted, feesKept, Math.addExact(signed, amount),
        spent, pending, Math.subtractExact(paidUnissued, amount)));
  }

  /** A swap spent {@code in} and signed {@code out}; the difference is the input fee. */
  MintAccounting swapped(long in, long out) {
    return checked(new MintAccounting(minted, melted, Math.addExact(feesKept, in - out), Math.addExact(signed, out),
        Math.addExact(spent, in), pending, paidUnissued));
  }

  /** A melt locked {@code in} of proofs. */
  MintAccounting locked(long in) {
    return checked(new MintAccounting(minted, melted, feesKept, signed, spent, Math.addExact(pending, in),
        paidUnissued));
  }

  /** A melt failed: its locked proofs are spendable again. */
  MintAccounting released(long in) {
    return checked(new MintAccounting(minted, melted, feesKept, signed, spent, Math.subtractExact(pending, in),
        paidUnissued));
  }

  /** A melt was paid: {@code in} spent, {@code paidOut} sent over Lightning, {@code change} signed. */
  MintAccounting meltPaid(long in, long paidOut, long change) {
    long kept = in - paidOut - change;
    return checked(new MintAccounting(minted, Math.addExact(melted, paidOut), Math.addExact(feesKept, kept),
        Math.addExact(signed, change), Math.addExact(spent, in), Math.subtractExact(pending, in), paidUnissued));
  }

  private static MintAccounting checked(MintAccounting next) {
    Check.invariant(next.balanced(), "mint books do not balance: " + next);
    return next;
  }

  /** The accounting query's answer: every counter, outstanding and whether the books balance. */
  public ObjectNode toJson() {
    ObjectNode node = CashuJson.object();
    node.put("minted", minted);
    node.put("melted", melted);
    node.put("fees_kept", feesKept);
    node.put("signed", signed);
    node.put("spent", spent);
    node.put("pending", pending);
    node.put("paid_unissued", paidUnissued);
    node.put("outstanding", outstanding());
    node.put("balanced", balanced());
    return node;
  }

  public static MintAccounting fromJson(JsonNode node) throws MintRefusal {
    String where = "accounting";
    // Turnover counters (signed, spent) may outgrow JSON-safe integers over a mint's life: full 64 bits here.
    return new MintAccounting(CashuJson.counter(node, "minted", where), CashuJson.counter(node, "melted", where),
        CashuJson.counter(node, "fees_kept", where), CashuJson.counter(node, "signed", where),
        CashuJson.counter(node, "spent", where), CashuJson.counter(node, "pending", where),
        CashuJson.counter(node, "paid_unissued", where));
  }
}
