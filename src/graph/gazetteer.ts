// Place names from the `city-timezones` package (about 7,300 cities of the world with their
// provinces and countries, from Natural Earth): general world knowledge for typing a name the
// tagger leaves untyped ("Atlanta", "Lubbock", "Kassala"), and country names, which are places
// whatever the tagger says. Built once, on first use.
import cityTimezones from 'city-timezones';

let places: Set<string> | undefined;
let countries: Set<string> | undefined;
/** Countries of the 20th century that news still names. */
const FORMER_COUNTRIES = [
  'Soviet Union',
  'Yugoslavia',
  'Czechoslovakia',
  'East Germany',
  'West Germany',
  'Burma',
  'Zaire',
  'Rhodesia',
];

const key = (name: string) => name.toLowerCase().replace(/\.$/, '').replace(/\s+/g, ' ').trim();

function placeNames(): Set<string> {
  if (places !== undefined) return places;
  places = new Set<string>(FORMER_COUNTRIES.map(key));
  for (const entry of cityTimezones.cityMapping) {
    for (const name of [entry.city, entry.city_ascii, entry.province, entry.country])
      if (typeof name === 'string' && name.length > 2) places.add(key(name));
  }
  return places;
}

function countryNames(): Set<string> {
  if (countries !== undefined) return countries;
  countries = new Set(FORMER_COUNTRIES.map(key));
  for (const entry of cityTimezones.cityMapping)
    if (typeof entry.country === 'string') countries.add(key(entry.country));
  return countries;
}

/** Whether `name` is a country's name: a place whatever else a tagger makes of it ("Jordan" aside, rarely a person). */
export function isKnownCountry(name: string): boolean {
  return countryNames().has(key(name));
}

/** Whether `name` is a city, province or country name (case and a final period ignored). */
export function isKnownPlace(name: string): boolean {
  return placeNames().has(key(name));
}
