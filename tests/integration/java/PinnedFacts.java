import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.config.Configuration;
import io.debezium.connector.oracle.OracleConnectorConfig;
import io.debezium.connector.oracle.OracleOffsetContext;
import io.debezium.connector.oracle.logminer.buffered.BufferedLogMinerOracleOffsetContextLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Connector;

/**
 * Facts the project takes from the pinned Debezium Oracle plugin, asked of the plugin's own classes and printed
 * as one JSON object (tests/integration/test_pinned_jar_facts.py):
 *
 *   offset <json> [<commits>]  the source offset map as the LogMiner task's own loader reads it at start
 *                   (BufferedLogMinerOracleOffsetContextLoader, as OracleConnectorTask uses it), the map it
 *                   would commit back, and for each [thread, scn] of <commits> whether a commit there counts as
 *                   already handled (CommitScn.hasBeenHandled, what handleCommitEvent asks before it emits)
 *   config-keys     every key of the connector's ConfigDef, with its type and default
 *   enums           the values Debezium accepts for the LogMiner strategy and buffer type
 */
public class PinnedFacts {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        Map<String, Object> answer = switch (args[0]) {
            case "offset" -> offset(args[1], args.length > 2 ? args[2] : "[]");
            case "config-keys" -> configKeys();
            case "enums" -> enums();
            default -> throw new IllegalArgumentException("unknown fact " + args[0]);
        };
        System.out.println(JSON.writeValueAsString(answer));
    }

    private static OracleConnectorConfig config() {
        return new OracleConnectorConfig(Configuration.from(Map.of(
            "topic.prefix", "facts", "database.dbname", "ORCLCDB",
            "connector.class", "io.debezium.connector.oracle.OracleConnector")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> offset(String json, String commits) throws Exception {
        Map<String, Object> stored = JSON.readValue(json, Map.class);
        // Connect's offset store reads whole numbers back as Long (JsonConverter, schemaless INT64), Jackson as Integer.
        stored.replaceAll((key, value) -> value instanceof Integer number ? Long.valueOf(number) : value);
        OracleOffsetContext loaded = new BufferedLogMinerOracleOffsetContextLoader(config()).load(stored);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("scn", loaded.getScn() == null || loaded.getScn().isNull() ? null : loaded.getScn().toString());
        Map<String, String> threads = new TreeMap<>();
        loaded.getCommitScn().getCommitScnForAllRedoThreads().forEach((thread, scn) -> threads.put(
            String.valueOf(thread), scn.toString()));
        answer.put("commit_scn_by_thread", threads);
        answer.put("snapshot_running", loaded.isInitialSnapshotRunning());
        answer.put("transaction_id", loaded.getTransactionId());
        answer.put("transaction_sequence", loaded.getTransactionSequence());
        answer.put("snapshot_scn", loaded.getSnapshotScn() == null || loaded.getSnapshotScn().isNull()
            ? null : loaded.getSnapshotScn().toString());
        java.util.List<Boolean> handled = new java.util.ArrayList<>();
        for (java.util.List<Object> commit : (java.util.List<java.util.List<Object>>) JSON.readValue(commits, java.util.List.class)) {
            handled.add(loaded.getCommitScn().hasBeenHandled(((Number) commit.get(0)).intValue(),
                io.debezium.connector.oracle.Scn.valueOf(commit.get(1).toString()), "0a0012003f040000"));
        }
        answer.put("handled", handled);
        answer.put("committed_back", loaded.getOffset());
        return answer;
    }

    private static Map<String, Object> configKeys() throws Exception {
        Connector connector = (Connector) Class.forName("io.debezium.connector.oracle.OracleConnector")
            .getDeclaredConstructor().newInstance();
        Map<String, Object> keys = new TreeMap<>();
        for (ConfigDef.ConfigKey key : connector.config().configKeys().values()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", key.type.name());
            entry.put("default", key.hasDefault() && key.defaultValue != null ? String.valueOf(key.defaultValue) : null);
            keys.put(key.name, entry);
        }
        return Map.of("keys", keys);
    }

    private static Map<String, Object> enums() {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("log.mining.strategy", java.util.Arrays.stream(OracleConnectorConfig.LogMiningStrategy.values())
            .map(OracleConnectorConfig.LogMiningStrategy::getValue).toList());
        answer.put("log.mining.buffer.type", java.util.Arrays.stream(OracleConnectorConfig.LogMiningBufferType.values())
            .map(OracleConnectorConfig.LogMiningBufferType::getValue).toList());
        return answer;
    }
}
