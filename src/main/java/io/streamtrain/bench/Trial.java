package io.streamtrain.bench;

/**
 * One fixed-rate run.
 *
 * @param phase "idle" or "training"
 * @param offeredRate the schedule's rate; {@code sentRate} what the generator achieved
 * @param achievedRate distinct requests answered per second, from the first due time to the last
 *     answer
 * @param lost requests without a prediction 15 s after the last send; {@code duplicates} extra
 *     answers
 * @param errors failed sends, dead-lettered requests and unreadable prediction keys
 * @param meanBatch requests per forward pass over all instances
 * @param minModelVersion version served at the start (lowest over instances); {@code
 *     maxModelVersion} at the end, and {@code modelSwaps} the hot swaps in between
 * @param cpuPercent CPU used by this process, in % of the whole machine
 * @param loadAverage the machine's 1-minute load average at the end (other tenants show here)
 */
public record Trial(
    String phase,
    double offeredRate,
    double sentRate,
    double achievedRate,
    double seconds,
    long sent,
    long answered,
    long lost,
    long duplicates,
    long errors,
    Latency latency,
    double meanBatch,
    long largestBatch,
    long minModelVersion,
    long maxModelVersion,
    long modelSwaps,
    double cpuPercent,
    double loadAverage,
    boolean sustained) {}
