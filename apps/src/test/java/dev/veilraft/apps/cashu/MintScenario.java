package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A seeded random workload against a mint: mints, swaps, melts that succeed, fail or hang, late
 * settlements, double-spend attempts and the passing of time. It keeps a wallet's view (proofs
 * held, proofs locked in melts) and after every step checks the mint's books against it:
 * balanced, outstanding = held + locked, pending = locked.
 */
final class MintScenario {
  private final MintHarness mint;
  private final ScriptedLightning lightning;
  private final Random random;
  private final TestWallet wallet;
  private final List<TestWallet.Held> held = new ArrayList<>();
  private final List<TestWallet.Held> spent = new ArrayList<>();
  /** Melts in flight: quote id -> (inputs, blank outputs). */
  private final Map<String, Locked> locked = new LinkedHashMap<>();
  final List<String> steps = new ArrayList<>();

  private record Locked(List<TestWallet.Held> inputs, List<TestWallet.Output> blanks) {}

  MintScenario(MintHarness mint, ScriptedLightning lightning, long seed) {
    this.mint = mint;
    this.lightning = lightning;
    this.random = new Random(seed);
    this.wallet = mint.wallet("scenario " + seed);
  }

  void run(int stepCount) {
    for (int i = 0; i < stepCount; i++) {
      int choice = random.nextInt(100);
      if (choice < 25 || held.isEmpty()) {
        mintSome();
      } else if (choice < 55) {
        swapSome();
      } else if (choice < 75) {
        meltSome();
      } else if (choice < 85) {
        settleLocked();
      } else if (choice < 93) {
        doubleSpend();
      } else {
        long seconds = random.nextInt(120);
        mint.clock.advanceSeconds(seconds);
        steps.add("time +" + seconds + "s");
      }
      check();
    }
  }

  private void mintSome() {
    long amount = 1 + random.nextInt(300);
    held.addAll(mint.mint(wallet, amount));
    steps.add("mint " + amount);
  }

  private List<TestWallet.Held> takeSome(int max) {
    Collections.shuffle(held, random);
    int n = 1 + random.nextInt(Math.min(max, held.size()));
    List<TestWallet.Held> taken = new ArrayList<>(held.subList(0, n));
    held.subList(0, n).clear();
    return taken;
  }

  private void swapSome() {
    List<TestWallet.Held> inputs = takeSome(6);
    long value = TestWallet.total(inputs) - MintParameters.inputFee(inputs.size());
    if (value <= 0) {
      held.addAll(inputs);
      return;
    }
    long first = value == 1 ? value : 1 + (long) random.nextInt((int) Math.min(value - 1, Integer.MAX_VALUE));
    List<TestWallet.Output> outputs = new ArrayList<>(wallet.outputsFor(first));
    outputs.addAll(wallet.outputsFor(value - first));
    JsonNode answer = mint.ok("POST", "/v1/swap", TestWallet.swapBody(inputs, outputs)).json();
    held.addAll(wallet.unblind(outputs, answer.path("signatures")));
    spent.addAll(inputs);
    steps.add("swap " + inputs.size() + " -> " + outputs.size());
  }

  private void meltSome() {
    long available = TestWallet.total(held);
    if (available < 8) {
      return;
    }
    long amount = 1 + random.nextInt((int) Math.min(available / 2, 500));
    String invoice = lightning.createInvoice(amount, "", 3600).join().bolt11();
    JsonNode quote = mint.ok("POST", "/v1/melt/quote/bolt11", CashuJson.object().put("request", invoice)
        .put("unit", "sat")).json();
    long need = amount + quote.path("fee_reserve").asLong();
    Collections.shuffle(held, random);
    List<TestWallet.Held> inputs = new ArrayList<>();
    while (TestWallet.total(inputs) - MintParameters.inputFee(inputs.size()) < need && !held.isEmpty()) {
      inputs.add(held.remove(held.size() - 1));
    }
    if (TestWallet.total(inputs) - MintParameters.inputFee(inputs.size()) < need
        || inputs.size() > MintParameters.INPUTS_MAX) {
      held.addAll(inputs);
      return;
    }
    ScriptedLightning.Outcome outcome = ScriptedLightning.Outcome.values()[random.nextInt(4)];
    lightning.payOutcome = outcome;
    lightning.feeSat = random.nextInt((int) quote.path("fee_reserve").asLong() + 1);
    List<TestWallet.Output> blanks = wallet.outputs(new long[1 + random.nextInt(4)]);
    String id = quote.path("quote").asText();
    ObjectNode body = CashuJson.object().put("quote", id);
    body.set("inputs", TestWallet.proofsJson(inputs));
    body.set("outputs", TestWallet.outputsJson(blanks));
    MintHarness.Answer answer = mint.call("POST", "/v1/melt/bolt11", body);
    steps.add("melt " + amount + " with " + inputs.size() + " inputs: " + outcome);
    switch (outcome) {
      case PAID -> {
        assertThat(answer.json().path("state").asText()).isEqualTo("PAID");
        held.addAll(wallet.unblind(blanks, answer.json().path("change")));
        spent.addAll(inputs);
      }
      case FAILED -> {
        assertThat(answer.code()).isEqualTo(20004);
        held.addAll(inputs);
      }
      default -> {
        assertThat(answer.json().path("state").asText()).isEqualTo("PENDING");
        locked.put(id, new Locked(inputs, blanks));
      }
    }
  }

  private void settleLocked() {
    if (locked.isEmpty()) {
      return;
    }
    String id = locked.keySet().iterator().next();
    ScriptedLightning.Outcome outcome = ScriptedLightning.Outcome.values()[random.nextInt(3)];
    lightning.statusOutcome = outcome;
    lightning.feeSat = 0;
    JsonNode quote = mint.ok("GET", "/v1/melt/quote/bolt11/" + id, null).json();
    steps.add("check pending melt: " + outcome);
    Locked melt = locked.get(id);
    switch (quote.path("state").asText()) {
      case "PAID" -> {
        held.addAll(wallet.unblind(melt.blanks(), quote.path("change")));
        spent.addAll(melt.inputs());
        locked.remove(id);
      }
      case "UNPAID" -> {
        held.addAll(melt.inputs());
        locked.remove(id);
      }
      default -> assertThat(quote.path("state").asText()).isEqualTo("PENDING");
    }
  }

  private void doubleSpend() {
    if (spent.isEmpty()) {
      return;
    }
    TestWallet.Held old = spent.get(random.nextInt(spent.size()));
    byte[] before = mint.gateway.stateBytes();
    MintHarness.Answer answer = mint.call("POST", "/v1/swap", TestWallet.swapBody(List.of(old),
        wallet.outputsFor(old.amount() - MintParameters.inputFee(1) > 0 ? old.amount() - MintParameters.inputFee(1) : 0)));
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.code()).isIn(11001, 11005);
    assertThat(mint.gateway.stateBytes()).isEqualTo(before);
    steps.add("double spend refused");
  }

  private void check() {
    MintAccounting books = mint.accounting();
    long lockedValue = locked.values().stream().mapToLong(l -> TestWallet.total(l.inputs())).sum();
    assertThat(books.balanced()).as("books %s", books).isTrue();
    assertThat(books.outstanding()).as("outstanding after %s", steps).isEqualTo(TestWallet.total(held) + lockedValue);
    assertThat(books.pending()).isEqualTo(lockedValue);
  }
}
