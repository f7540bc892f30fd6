package ai.zaby.sdk.internal

import ai.zaby.sdk.ZabyClientException
import ai.zaby.sdk.types.ZabyEnum
import ai.zaby.sdk.types.ZabyModel
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive

/**
 * How the typed objects (`ai.zaby.sdk.types`) are read and written: members left at
 * their default ("not sent") are left out. Members a class does not declare are kept by
 * its own serializer (`KeepUnknown`); only the generic envelopes (`ListResponse`) drop
 * them, and must not fail on them.
 */
internal val ZabyJson = Json {
    encodeDefaults = false
    ignoreUnknownKeys = true
}

/**
 * A Kotlin value as JSON: maps with string keys, lists, arrays, strings, numbers,
 * booleans, null, `JsonElement`s and the SDK's types and enums. Anything else is a caller's mistake, named.
 */
internal fun toJson(value: Any?, where: String = "input"): JsonElement = when (value) {
    null -> JsonNull
    is JsonElement -> value
    is String -> JsonPrimitive(value)
    is Number -> JsonPrimitive(value)
    is Boolean -> JsonPrimitive(value)
    is ZabyEnum -> JsonPrimitive(value.value)
    is ZabyModel -> value.toJson()
    is Enum<*> -> JsonPrimitive(value.name)
    is Map<*, *> -> JsonObject(
        value.entries.associate { (k, v) ->
            val key = k as? String ?: throw invalidArgument("$where has a non-string key: $k")
            key to toJson(v, "$where.$key")
        },
    )
    is Iterable<*> -> JsonArray(value.mapIndexed { i, v -> toJson(v, "$where[$i]") })
    is Array<*> -> JsonArray(value.mapIndexed { i, v -> toJson(v, "$where[$i]") })
    else -> throw invalidArgument(
        "$where holds a ${value::class.qualifiedName}, which is not JSON (use maps, lists, strings, numbers, booleans, the SDK's types)",
    )
}

internal fun invalidArgument(message: String) = ZabyClientException(message, "INVALID_ARGUMENT")
