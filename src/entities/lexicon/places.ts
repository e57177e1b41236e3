/** US states (and the District of Columbia and territories) by name and postal code. */
export const US_STATES: ReadonlyArray<readonly [name: string, code: string]> = [
  ["Alabama", "AL"], ["Alaska", "AK"], ["Arizona", "AZ"], ["Arkansas", "AR"], ["California", "CA"],
  ["Colorado", "CO"], ["Connecticut", "CT"], ["Delaware", "DE"], ["Florida", "FL"], ["Georgia", "GA"],
  ["Hawaii", "HI"], ["Idaho", "ID"], ["Illinois", "IL"], ["Indiana", "IN"], ["Iowa", "IA"],
  ["Kansas", "KS"], ["Kentucky", "KY"], ["Louisiana", "LA"], ["Maine", "ME"], ["Maryland", "MD"],
  ["Massachusetts", "MA"], ["Michigan", "MI"], ["Minnesota", "MN"], ["Mississippi", "MS"], ["Missouri", "MO"],
  ["Montana", "MT"], ["Nebraska", "NE"], ["Nevada", "NV"], ["New Hampshire", "NH"], ["New Jersey", "NJ"],
  ["New Mexico", "NM"], ["New York", "NY"], ["North Carolina", "NC"], ["North Dakota", "ND"], ["Ohio", "OH"],
  ["Oklahoma", "OK"], ["Oregon", "OR"], ["Pennsylvania", "PA"], ["Rhode Island", "RI"], ["South Carolina", "SC"],
  ["South Dakota", "SD"], ["Tennessee", "TN"], ["Texas", "TX"], ["Utah", "UT"], ["Vermont", "VT"],
  ["Virginia", "VA"], ["Washington", "WA"], ["West Virginia", "WV"], ["Wisconsin", "WI"], ["Wyoming", "WY"],
  ["District of Columbia", "DC"], ["Puerto Rico", "PR"], ["Guam", "GU"], ["Virgin Islands", "VI"]
]

export const STATE_NAMES: ReadonlyArray<string> = US_STATES.map(([name]) => name)
export const STATE_CODES: ReadonlyArray<string> = US_STATES.map(([, code]) => code)

/** Cities common in US filings and contracts; a bare city name is only a LOCATION if listed here. */
export const MAJOR_CITIES: ReadonlyArray<string> = [
  "New York City", "New York", "Los Angeles", "Chicago", "Houston", "Phoenix", "Philadelphia", "San Antonio",
  "San Diego", "Dallas", "San Jose", "Austin", "Jacksonville", "Fort Worth", "Columbus", "Charlotte",
  "San Francisco", "Indianapolis", "Seattle", "Denver", "Washington, D.C.", "Boston", "El Paso", "Nashville",
  "Detroit", "Oklahoma City", "Portland", "Las Vegas", "Memphis", "Louisville", "Baltimore", "Milwaukee",
  "Albuquerque", "Tucson", "Fresno", "Sacramento", "Kansas City", "Atlanta", "Omaha",
  "Colorado Springs", "Raleigh", "Miami", "Long Beach", "Virginia Beach", "Oakland", "Minneapolis", "Tulsa",
  "Tampa", "Arlington", "New Orleans", "Wichita", "Cleveland", "Bakersfield", "Anaheim",
  "Honolulu", "Santa Ana", "Riverside", "Corpus Christi", "Lexington", "Stockton", "St. Louis", "Saint Louis",
  "Pittsburgh", "Cincinnati", "Anchorage", "Newark", "Buffalo", "St. Paul", "Saint Paul", "Orlando",
  "Irvine", "Palo Alto", "Menlo Park", "Mountain View", "Redwood City", "Santa Clara", "Sunnyvale",
  "Cupertino", "Wilmington", "Dover", "Trenton", "Hartford", "Providence", "Richmond", "Alexandria",
  "Salt Lake City", "Boise", "Des Moines", "Little Rock", "Birmingham", "Montgomery",
  "Baton Rouge", "Albany", "Harrisburg", "Annapolis", "Charleston", "Tallahassee",
  "Carson City", "Reno", "Santa Fe", "Cheyenne", "Bismarck", "Topeka",
  "Springfield", "Madison", "Lansing", "Grand Rapids", "Ann Arbor", "Toledo", "Akron", "Dayton",
  "Scottsdale", "Tempe", "Pasadena", "Glendale", "Burbank", "Santa Monica", "Beverly Hills", "Brooklyn",
  "Manhattan", "the Bronx", "Queens", "Staten Island", "White Plains", "Stamford", "Greenwich",
  "New Haven", "Cambridge", "Princeton", "Weehawken", "Jersey City", "Hoboken", "Fort Lauderdale",
  "West Palm Beach", "Boca Raton", "San Juan", "Oxnard", "Thousand Oaks", "Ventura", "Santa Barbara",
  "San Bernardino", "Modesto", "Spokane", "Tacoma", "Bellevue", "Redmond", "Olympia", "Eugene", "Salem",
  "Knoxville", "Chattanooga", "Greensboro", "Durham", "Norfolk", "Savannah", "Shreveport",
  "Lubbock", "Plano", "Irving", "Laredo", "Fort Collins", "Boulder", "Provo", "Ogden", "Cheyenne",
  "Philadelphia", "Camden", "Allentown", "Scranton", "Erie", "Syracuse", "Rochester", "Yonkers"
]

/** Countries and large regions a contract names as a place of business or a territory. */
export const COUNTRIES: ReadonlyArray<string> = [
  "United States of America", "United Kingdom", "Canada", "Mexico", "Germany", "France", "Italy", "Spain",
  "Japan", "China", "India", "Brazil", "Australia", "Ireland", "Israel", "Switzerland", "Netherlands",
  "Belgium", "Sweden", "Norway", "Denmark", "Finland", "Singapore", "Hong Kong", "South Korea", "Taiwan",
  "Luxembourg", "Bermuda", "Cayman Islands", "British Virgin Islands", "England", "Scotland", "Wales",
  "European Union", "Russia", "Argentina", "Chile", "Colombia", "Peru", "South Africa", "New Zealand",
  "Ontario", "Quebec", "British Columbia", "Alberta",
  "Austria", "Poland", "Czech Republic", "Slovakia", "Hungary", "Portugal", "Greece", "Turkey", "Romania",
  "Bulgaria", "Croatia", "Slovenia", "Serbia", "Ukraine", "Estonia", "Latvia", "Lithuania", "Iceland", "Cyprus",
  "Malta", "Monaco", "Liechtenstein", "Egypt", "Nigeria", "Kenya", "Ghana", "Morocco", "Saudi Arabia",
  "United Arab Emirates", "Qatar", "Kuwait", "Bahrain", "Jordan", "Lebanon", "Kazakhstan", "Indonesia", "Malaysia",
  "Thailand", "Vietnam", "Philippines", "Pakistan", "Bangladesh", "Sri Lanka", "Venezuela", "Ecuador", "Uruguay",
  "Paraguay", "Bolivia", "Costa Rica", "Panama", "Puerto Rico", "Jamaica", "Bahamas", "Barbados", "Guernsey",
  "Jersey", "Isle of Man"
]
