package ai.zaby.sdk.types

import ai.zaby.sdk.internal.ZabyJson
import kotlinx.serialization.KSerializer
import kotlinx.serialization.Serializable
import kotlinx.serialization.SerializationStrategy
import kotlinx.serialization.builtins.nullable
import kotlinx.serialization.descriptors.SerialDescriptor
import kotlinx.serialization.encoding.Decoder
import kotlinx.serialization.encoding.Encoder
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonTransformingSerializer
import kotlinx.serialization.json.jsonObject

/** A typed object or input of the API (generated in `Types.kt`). */
interface ZabyModel {
    /** The object as JSON, the members this SDK version does not know included. */
    fun toJson(): JsonObject
}

/** An enumeration of the API; [value] is its wire string. */
interface ZabyEnum {
    val value: String
}

/**
 * A member of a partial update that may be cleared: `Nullable(null)` sends `null`,
 * `Nullable(x)` sends `x`; the member left at `null` is not sent at all.
 */
@Serializable(with = NullableSerializer::class)
data class Nullable<T : Any>(val value: T?)

internal class NullableSerializer<T : Any>(inner: KSerializer<T>) : KSerializer<Nullable<T>> {
    private val inner = inner.nullable
    override val descriptor: SerialDescriptor = this.inner.descriptor
    override fun serialize(encoder: Encoder, value: Nullable<T>) = inner.serialize(encoder, value.value)
    override fun deserialize(decoder: Decoder): Nullable<T> = Nullable(inner.deserialize(decoder))
}

/**
 * The key under which a generated class holds the members it does not know. Not a
 * name the API uses (it starts with a NUL), so it never shadows a real member.
 */
internal const val EXTRA = "\u0000extra"

internal val NO_EXTRA = JsonObject(emptyMap())

/**
 * The serializer of every generated object: members the class does not declare are
 * moved into its `extra` object when read and put back beside the others when written,
 * so answers of a newer server round-trip whole.
 */
internal open class KeepUnknown<T : Any>(serializer: KSerializer<T>) : JsonTransformingSerializer<T>(serializer) {
    private val known: Set<String> =
        (0 until serializer.descriptor.elementsCount).map(serializer.descriptor::getElementName).toSet() - EXTRA

    override fun transformDeserialize(element: JsonElement): JsonElement {
        if (element !is JsonObject || element.keys.all { it in known }) return element
        val (mine, others) = element.entries.partition { it.key in known }
        return JsonObject(mine.associate { it.toPair() } + (EXTRA to JsonObject(others.associate { it.toPair() })))
    }

    override fun transformSerialize(element: JsonElement): JsonElement {
        if (element !is JsonObject) return element
        val extra = element[EXTRA] as? JsonObject ?: return element
        // A declared member wins over an `extra` entry of the same name.
        return JsonObject(extra.filterKeys { it !in element } + (element - EXTRA))
    }
}

internal fun <T> encodeModel(serializer: SerializationStrategy<T>, value: T): JsonObject =
    ZabyJson.encodeToJsonElement(serializer, value).jsonObject
