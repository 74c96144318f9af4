// Place names from the `city-timezones` package (about 7,300 cities of the world with their
// provinces and countries, from Natural Earth): general world knowledge for typing a name the
// tagger leaves untyped ("Atlanta", "Lubbock", "Kassala"). Built once, on first use.
import cityTimezones from 'city-timezones';

let places: Set<string> | undefined;

const key = (name: string) => name.toLowerCase().replace(/\.$/, '').replace(/\s+/g, ' ').trim();

function placeNames(): Set<string> {
  if (places !== undefined) return places;
  places = new Set<string>();
  for (const entry of cityTimezones.cityMapping) {
    for (const name of [entry.city, entry.city_ascii, entry.province, entry.country])
      if (typeof name === 'string' && name.length > 2) places.add(key(name));
  }
  return places;
}

/** Whether `name` is a city, province or country name (case and a final period ignored). */
export function isKnownPlace(name: string): boolean {
  return placeNames().has(key(name));
}
